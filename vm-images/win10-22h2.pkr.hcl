# Windows 10 Enterprise 22H2 (10.0.19045), BIOS + MBR: the pool boots it without UEFI, so
# its clones need no VARS copy. winterop profile: win10-22h2.
source "qemu" "win10-22h2" {
  vm_name          = "win10-22h2.qcow2"
  output_directory = "${var.output_root}/win10-22h2"
  iso_url          = var.win10_iso_url
  iso_checksum     = var.win10_iso_checksum

  accelerator  = var.accelerator
  machine_type = "q35"
  cpu_model    = "host"
  cpus         = var.cpus
  memory       = var.memory

  disk_size          = var.disk_size
  disk_interface     = "virtio"
  disk_discard       = "unmap"
  disk_detect_zeroes = "unmap"
  format             = "qcow2"
  net_device         = "virtio-net"
  # Setup's WinPE has no virtio CD driver: the install ISO and the answer CD sit on AHCI.
  cdrom_interface = "ide"
  vga             = "std"
  headless        = var.headless

  cd_label = "WOPROV"
  cd_files = concat(local.answer_cd_files, local.virtio_win10)
  cd_content = {
    "autounattend.xml" = templatefile("${path.root}/answer/win10-22h2/autounattend.xml.pkrtpl", local.answer_vars)
  }

  # "Press any key to boot from CD or DVD"
  boot_wait    = "3s"
  boot_command = ["<spacebar><wait><spacebar><wait><spacebar>"]

  communicator   = "winrm"
  winrm_username = var.admin_user
  winrm_password = var.admin_password
  winrm_use_ssl  = true
  winrm_insecure = true
  winrm_use_ntlm = true
  winrm_timeout  = "3h"

  # The last step: sysprep /generalize /oobe /shutdown (scripts/sysprep.ps1).
  shutdown_command = "powershell -NoProfile -ExecutionPolicy Bypass -File C:\\winterop\\sysprep.ps1"
  shutdown_timeout = "30m"
}
