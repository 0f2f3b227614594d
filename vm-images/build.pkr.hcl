# What runs inside both images once Setup finished and WinRM (HTTPS) answers. Order:
# guest tools (virtio drivers + QEMU guest agent) and a reboot, OpenSSH server, the lab
# baseline, the files the clones need at first boot, image metadata, then Packer's
# shutdown_command runs sysprep. Nothing of the test harness (PKI, VPN profiles) goes into
# the image: tests install that per test.
build {
  sources = ["source.qemu.win10-22h2", "source.qemu.win11-23h2"]

  provisioner "powershell" {
    scripts = ["${path.root}/scripts/guest-tools.ps1"]
  }

  provisioner "windows-restart" {
    restart_timeout = "30m"
  }

  provisioner "powershell" {
    scripts = [
      "${path.root}/scripts/openssh.ps1",
      "${path.root}/scripts/lab-baseline.ps1",
    ]
  }

  provisioner "file" {
    source      = "${path.root}/scripts/winrm-https.ps1"
    destination = "C:/winterop/winrm-https.ps1"
  }

  provisioner "file" {
    source      = "${path.root}/scripts/sysprep.ps1"
    destination = "C:/winterop/sysprep.ps1"
  }

  provisioner "file" {
    source      = "${path.root}/scripts/SetupComplete.cmd"
    destination = "C:/Windows/Setup/Scripts/SetupComplete.cmd"
  }

  provisioner "file" {
    content     = templatefile("${path.root}/answer/sysprep-unattend.xml.pkrtpl", local.answer_vars)
    destination = "C:/winterop/sysprep-unattend.xml"
  }

  provisioner "powershell" {
    environment_vars = [
      "WO_PROFILE=${source.name}",
      "WO_BUILT=${local.build_date}",
    ]
    scripts = ["${path.root}/scripts/image-info.ps1"]
  }

  post-processor "manifest" {
    output     = "${var.output_root}/manifest.json"
    strip_path = false
    custom_data = {
      profile    = source.name
      build_date = local.build_date
    }
  }

  post-processor "checksum" {
    checksum_types = ["sha256"]
    output         = "${var.output_root}/${source.name}/SHA256SUMS"
  }
}
