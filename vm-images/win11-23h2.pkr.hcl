# Windows 11 Enterprise 23H2 (10.0.22631), UEFI with Secure Boot and an emulated TPM 2.0,
# so Setup's hardware checks pass as on real hardware (the LabConfig bypass alternative is
# in README.md). The build's efivars.fd (Microsoft keys + boot entry) becomes the image's
# VARS volume; each clone gets a copy. winterop profile: win11-23h2.
source "qemu" "win11-23h2" {
  vm_name          = "win11-23h2.qcow2"
  output_directory = "${var.output_root}/win11-23h2"
  iso_url          = var.win11_iso_url
  iso_checksum     = var.win11_iso_checksum

  accelerator  = var.accelerator
  machine_type = "q35"
  cpu_model    = "host"
  cpus         = var.cpus
  memory       = var.memory

  efi_boot          = true
  efi_firmware_code = var.ovmf_code_secboot
  efi_firmware_vars = var.ovmf_vars_ms
  vtpm              = true
  tpm_device_type   = "tpm-crb"
  # Secure Boot firmware needs SMM and a secure pflash (not set by the plugin itself).
  qemuargs = [
    ["-machine", "type=q35,accel=${var.accelerator},smm=on"],
    ["-global", "driver=cfi.pflash01,property=secure,value=on"],
  ]

  disk_size          = var.disk_size
  disk_interface     = "virtio"
  disk_discard       = "unmap"
  disk_detect_zeroes = "unmap"
  format             = "qcow2"
  net_device         = "virtio-net"
  cdrom_interface    = "ide"
  vga                = "std"
  headless           = var.headless

  cd_label = "WOPROV"
  cd_files = concat(local.answer_cd_files, local.virtio_win11)
  cd_content = {
    "autounattend.xml" = templatefile("${path.root}/answer/win11-23h2/autounattend.xml.pkrtpl", local.answer_vars)
  }

  # UEFI: "Press any key to boot from CD or DVD" shows for a few seconds only.
  boot_wait    = "2s"
  boot_command = ["<spacebar><wait><spacebar><wait><spacebar><wait><spacebar>"]

  communicator   = "winrm"
  winrm_username = var.admin_user
  winrm_password = var.admin_password
  winrm_use_ssl  = true
  winrm_insecure = true
  winrm_use_ntlm = true
  winrm_timeout  = "3h"

  shutdown_command = "powershell -NoProfile -ExecutionPolicy Bypass -File C:\\winterop\\sysprep.ps1"
  shutdown_timeout = "30m"
}
