# Inputs of both image builds. ISO locations and checksums have no defaults on purpose:
# evaluation media move and expire, so the operator records exactly what was used in a
# lab.pkrvars.hcl (see lab.pkrvars.hcl.example and README.md). Passwords come from the
# environment (PKR_VAR_admin_password, PKR_VAR_test_user_password) and are never committed.

variable "win10_iso_url" {
  type        = string
  description = "Windows 10 Enterprise 22H2 (build 19045) evaluation ISO, en-US, x64"
}

variable "win10_iso_checksum" {
  type        = string
  description = "sha256:<hex> of the Windows 10 ISO"
}

variable "win11_iso_url" {
  type        = string
  description = "Windows 11 Enterprise 23H2 (build 22631) evaluation ISO, en-US, x64"
}

variable "win11_iso_checksum" {
  type        = string
  description = "sha256:<hex> of the Windows 11 ISO"
}

variable "image_index" {
  type        = number
  default     = 1
  description = "install.wim image index (Enterprise Evaluation ISOs hold one image)"
}

variable "virtio_win_dir" {
  type        = string
  default     = ""
  description = "extracted virtio-win ISO (default: build/virtio-win, made by `make virtio-win`)"
}

variable "admin_user" {
  type    = string
  default = "woadmin"
}

variable "admin_password" {
  type      = string
  sensitive = true
}

variable "test_user" {
  type        = string
  default     = "wotest"
  description = "standard user that is logged on automatically (EAP dialling, CurrentUser certificates)"
}

variable "test_user_password" {
  type      = string
  sensitive = true
}

variable "disk_size" {
  type    = string
  default = "64G"
}

variable "memory" {
  type    = number
  default = 4096
}

variable "cpus" {
  type    = number
  default = 2
}

variable "accelerator" {
  type    = string
  default = "kvm"
}

variable "headless" {
  type    = bool
  default = true
}

variable "output_root" {
  type    = string
  default = "output"
}

# Debian 12 `ovmf` paths: the Secure Boot capable CODE image and VARS with Microsoft's
# keys enrolled (Windows 11 boot media are signed with them).
variable "ovmf_code_secboot" {
  type    = string
  default = "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd"
}

variable "ovmf_vars_ms" {
  type    = string
  default = "/usr/share/OVMF/OVMF_VARS_4M.ms.fd"
}

locals {
  virtio_win = var.virtio_win_dir == "" ? "${path.root}/build/virtio-win" : var.virtio_win_dir
  build_date = formatdate("YYYY-MM-DD", timestamp())

  # Values the answer-file templates may use, XML-escaped (a password with '&' or '<'
  # must not break the answer file); tests/windows/libvirt/test_vm_images.py checks every
  # ${...} in answer/*.pkrtpl is one of these keys.
  answer_vars = {
    admin_user         = local.xml_admin_user
    admin_password     = local.xml_admin_password
    test_user          = local.xml_test_user
    test_user_password = local.xml_test_user_password
    image_index        = var.image_index
  }
  xml_admin_user         = replace(replace(replace(replace(replace(var.admin_user, "&", "&amp;"), "<", "&lt;"), ">", "&gt;"), "\"", "&quot;"), "'", "&apos;")
  xml_admin_password     = replace(replace(replace(replace(replace(var.admin_password, "&", "&amp;"), "<", "&lt;"), ">", "&gt;"), "\"", "&quot;"), "'", "&apos;")
  xml_test_user          = replace(replace(replace(replace(replace(var.test_user, "&", "&amp;"), "<", "&lt;"), ">", "&gt;"), "\"", "&quot;"), "'", "&apos;")
  xml_test_user_password = replace(replace(replace(replace(replace(var.test_user_password, "&", "&amp;"), "<", "&lt;"), ">", "&gt;"), "\"", "&quot;"), "'", "&apos;")

  # Drivers Windows Setup needs before it can see the disk and the network (viostor,
  # NetKVM), plus the serial driver the guest agent channel uses; flattened onto the
  # answer CD, where Microsoft-Windows-PnpCustomizationsWinPE finds them.
  virtio_drivers = ["viostor", "NetKVM", "vioserial", "Balloon"]
  virtio_win10 = flatten([
    for d in local.virtio_drivers : [for ext in ["inf", "cat", "sys"] : "${local.virtio_win}/${d}/w10/amd64/*.${ext}"]
  ])
  virtio_win11 = flatten([
    for d in local.virtio_drivers : [for ext in ["inf", "cat", "sys"] : "${local.virtio_win}/${d}/w11/amd64/*.${ext}"]
  ])

  # Found by the answer file's FirstLogonCommands on whichever drive letter the CD gets.
  answer_cd_files = [
    "${path.root}/scripts/winrm-https.ps1",
    "${local.virtio_win}/virtio-win-guest-tools.exe",
  ]
}
