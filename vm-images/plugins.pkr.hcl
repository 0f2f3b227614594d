# Packer and plugin versions, pinned like every other input of the images (ISO hashes,
# virtio-win version): a rebuild next month must produce the same kind of image.
packer {
  required_version = ">= 1.9.0"
  required_plugins {
    qemu = {
      # 1.1.x has vtpm (swtpm), tpm_device_type and the efi_* options used below.
      version = "= 1.1.4"
      source  = "github.com/hashicorp/qemu"
    }
  }
}
