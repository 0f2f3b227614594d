# The last step of an image build (Packer's shutdown_command): generalize and power off.
# Clones then get a unique SID and computer name (they share the management network) and
# run answer/sysprep-unattend.xml.pkrtpl on first boot. /mode:vm skips hardware detection:
# the clones run on the same virtual hardware as the build VM.
$ErrorActionPreference = 'Stop'
& "$env:SystemRoot\System32\Sysprep\sysprep.exe" /generalize /oobe /shutdown /quiet /mode:vm `
    /unattend:C:\winterop\sysprep-unattend.xml
