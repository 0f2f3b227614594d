"""vm-images/: the answer files carry the settings the pool and the harness rely on, and
the Packer templates refer only to files and template variables that exist.

No Packer or Windows here: answer files are parsed as XML (the `${...}` placeholders are
plain text to an XML parser), the HCL is read with small regular expressions that are
enough for these templates, and the README's inventory example is parsed as YAML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
IMAGES = ROOT / "vm-images"
NS = {"u": "urn:schemas-microsoft-com:unattend"}
BUILDS = {"win10-22h2": "w10", "win11-23h2": "w11"}
ANSWER_FILES = sorted((IMAGES / "answer").rglob("*.pkrtpl"))


def hcl() -> str:
    return "\n".join(p.read_text() for p in sorted(IMAGES.glob("*.pkr.hcl")))


def source_block(name: str) -> str:
    text = (IMAGES / f"{name}.pkr.hcl").read_text()
    start = text.index(f'source "qemu" "{name}" {{')
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0 and text[i] == "}":
            return text[start : i + 1]
    raise AssertionError(f"unterminated source block {name}")


def answer_vars() -> set[str]:
    block = re.search(r"answer_vars = \{(.*?)\n  \}", hcl(), re.S)
    assert block is not None, "locals.answer_vars not found"
    return set(re.findall(r"^\s*(\w+)\s*=", block.group(1), re.M))


def parse(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def component(root: ET.Element, pass_: str, name: str) -> ET.Element:
    found = root.find(f"u:settings[@pass='{pass_}']/u:component[@name='{name}']", NS)
    assert found is not None, f"{pass_}/{name} missing"
    return found


def test_there_is_an_answer_file_per_build_and_one_for_sysprep() -> None:
    names = {p.relative_to(IMAGES / "answer").as_posix() for p in ANSWER_FILES}
    assert names == {
        "win10-22h2/autounattend.xml.pkrtpl",
        "win11-23h2/autounattend.xml.pkrtpl",
        "sysprep-unattend.xml.pkrtpl",
    }


@pytest.mark.parametrize("path", ANSWER_FILES, ids=lambda p: p.parent.name + "/" + p.name)
def test_answer_files_parse_and_use_only_passed_variables(path: Path) -> None:
    root = parse(path)
    assert root.tag == "{urn:schemas-microsoft-com:unattend}unattend"
    text = path.read_text()
    assert "%{" not in text, "no template directives: keep the files plain XML"
    placeholders = set(re.findall(r"\$\{([^}]*)\}", text))
    assert placeholders <= answer_vars(), (
        f"not passed by templatefile(): {placeholders - answer_vars()}"
    )


@pytest.mark.parametrize("build", BUILDS)
def test_install_answer_file(build: str) -> None:
    root = parse(IMAGES / "answer" / build / "autounattend.xml.pkrtpl")
    setup = component(root, "windowsPE", "Microsoft-Windows-Setup")
    assert setup.findtext("u:UserData/u:AcceptEula", namespaces=NS) == "true"
    assert setup.findtext(".//u:InstallFrom/u:MetaData/u:Value", namespaces=NS) == "${image_index}"
    windows = [
        p
        for p in setup.iterfind(".//u:ModifyPartition", NS)
        if p.findtext("u:Letter", namespaces=NS) == "C"
    ]
    assert len(windows) == 1
    install_to = setup.findtext(".//u:InstallTo/u:PartitionID", namespaces=NS)
    assert install_to == windows[0].findtext("u:PartitionID", namespaces=NS)
    types = [
        p.findtext("u:Type", namespaces=NS) for p in setup.iterfind(".//u:CreatePartition", NS)
    ]
    if build == "win11-23h2":
        assert types == ["EFI", "MSR", "Primary"]
    else:
        assert types == ["Primary", "Primary"]
        assert setup.find(".//u:ModifyPartition/u:Active", NS) is not None
    drivers = component(root, "windowsPE", "Microsoft-Windows-PnpCustomizationsWinPE")
    assert drivers.findall(".//u:PathAndCredentials/u:Path", NS)
    intl = component(root, "windowsPE", "Microsoft-Windows-International-Core-WinPE")
    assert intl.findtext("u:UILanguage", namespaces=NS) == "en-US"  # rasdial output is parsed

    shell = component(root, "oobeSystem", "Microsoft-Windows-Shell-Setup")
    accounts = {
        a.findtext("u:Name", namespaces=NS): a.findtext("u:Group", namespaces=NS)
        for a in shell.iterfind(".//u:LocalAccount", NS)
    }
    assert accounts == {"${admin_user}": "Administrators", "${test_user}": "Users"}
    assert shell.findtext("u:AutoLogon/u:Username", namespaces=NS) == "${admin_user}"
    assert shell.findtext("u:TimeZone", namespaces=NS) == "UTC"
    commands = [c.text or "" for c in shell.iterfind(".//u:SynchronousCommand/u:CommandLine", NS)]
    assert any("winrm-https.ps1" in c for c in commands), "FirstLogonCommands must open WinRM"


def test_clones_log_on_the_test_user_with_a_fresh_name() -> None:
    root = parse(IMAGES / "answer" / "sysprep-unattend.xml.pkrtpl")
    special = component(root, "specialize", "Microsoft-Windows-Shell-Setup")
    assert special.findtext("u:ComputerName", namespaces=NS) == "*"
    shell = component(root, "oobeSystem", "Microsoft-Windows-Shell-Setup")
    autologon = shell.find("u:AutoLogon", NS)
    assert autologon is not None
    assert autologon.findtext("u:Enabled", namespaces=NS) == "true"
    assert autologon.findtext("u:Username", namespaces=NS) == "${test_user}"
    assert autologon.findtext("u:Password/u:Value", namespaces=NS) == "${test_user_password}"
    assert shell.findtext("u:OOBE/u:HideOnlineAccountScreens", namespaces=NS) == "true"


def test_winrm_https_listener_script() -> None:
    script = (IMAGES / "scripts" / "winrm-https.ps1").read_text()
    for needed in (
        "New-Item -Path WSMan:\\localhost\\Listener -Transport HTTPS",
        "New-SelfSignedCertificate -DnsName $env:COMPUTERNAME",
        "-LocalPort 5986",
        "LocalAccountTokenFilterPolicy",
        "Auth\\Basic -Value $false",
        "start= delayed-auto",
    ):
        assert needed in script, needed
    setup_complete = (IMAGES / "scripts" / "SetupComplete.cmd").read_text()
    assert "C:\\winterop\\winrm-https.ps1" in setup_complete
    assert "del /f /q C:\\winterop\\sysprep-unattend.xml" in setup_complete
    assert b"\r\n" in (IMAGES / "scripts" / "SetupComplete.cmd").read_bytes(), "cmd needs CRLF"


def test_guest_agent_openssh_and_sysprep_steps() -> None:
    scripts = IMAGES / "scripts"
    assert "Get-Service -Name 'QEMU-GA'" in (scripts / "guest-tools.ps1").read_text()
    openssh = (scripts / "openssh.ps1").read_text()
    assert "OpenSSH.Server" in openssh and "DefaultShell" in openssh
    sysprep = (scripts / "sysprep.ps1").read_text()
    for flag in (
        "/generalize",
        "/oobe",
        "/shutdown",
        "/unattend:C:\\winterop\\sysprep-unattend.xml",
    ):
        assert flag in sysprep
    build = hcl()
    assert 'destination = "C:/winterop/sysprep-unattend.xml"' in build
    assert 'destination = "C:/winterop/winrm-https.ps1"' in build
    assert 'destination = "C:/Windows/Setup/Scripts/SetupComplete.cmd"' in build
    assert build.count("C:\\\\winterop\\\\sysprep.ps1") == 2  # shutdown_command of both


def test_every_file_the_hcl_refers_to_exists() -> None:
    paths = re.findall(r'"\$\{path\.root\}/([^"$]+)"', hcl())
    assert len(paths) >= 10
    makefile = (IMAGES / "Makefile").read_text()
    for rel in paths:
        if rel.startswith("build/"):  # generated input (git-ignored): the Makefile makes it
            assert f"mkdir -p {rel}" in makefile, f"nothing creates vm-images/{rel}"
            continue
        assert list(IMAGES.glob(rel)), f"vm-images/{rel} referenced but missing"


@pytest.mark.parametrize(("build", "windir"), BUILDS.items())
def test_each_build_uses_its_own_answer_file_and_drivers(build: str, windir: str) -> None:
    block = source_block(build)
    assert f'vm_name          = "{build}.qcow2"' in block
    assert f'"${{path.root}}/answer/{build}/autounattend.xml.pkrtpl"' in block
    assert f"local.virtio_{windir.replace('w', 'win')}" in block
    assert f'"${{local.virtio_win}}/${{d}}/{windir}/amd64/*.${{ext}}"' in hcl()
    assert 'communicator   = "winrm"' in block and "winrm_use_ssl  = true" in block
    assert f'"source.qemu.{build}"' in hcl()
    assert f"-only=qemu.{build}" in (IMAGES / "Makefile").read_text()


def test_windows_11_gets_tpm_and_secure_boot() -> None:
    win11, win10 = source_block("win11-23h2"), source_block("win10-22h2")
    assert "vtpm              = true" in win11 and "efi_boot          = true" in win11
    assert "smm=on" in win11 and "cfi.pflash01,property=secure,value=on" in win11
    assert "efi_boot" not in win10 and "vtpm" not in win10


def test_answer_cd_carries_the_scripts_the_answer_file_runs() -> None:
    cd = re.search(r"answer_cd_files = \[(.*?)\]", hcl(), re.S)
    assert cd is not None
    assert "scripts/winrm-https.ps1" in cd.group(1)
    assert "virtio-win-guest-tools.exe" in cd.group(1)


def readme_inventory() -> str:
    block = re.search(r"```yaml\n(.*?)```", (IMAGES / "README.md").read_text(), re.S)
    assert block is not None, "README.md has no inventory example"
    return block.group(1)


def test_readme_inventory_example_matches_the_builds() -> None:
    doc = yaml.safe_load(readme_inventory())
    images = {i["profile"]: i for i in doc["images"]}
    assert images["win10-22h2"]["build"] == "10.0.19045"
    assert images["win11-23h2"]["build"] == "10.0.22631"
    assert images["win11-23h2"]["tpm"] is True and "vars_disk" in images["win11-23h2"]
    assert "uefi_loader" not in images["win10-22h2"]  # BIOS image
    profiles = ROOT / "emulator" / "profiles" / "data"
    for profile, image in images.items():
        assert (profiles / f"{profile}.yaml").is_file(), f"no winterop profile {profile}"
        assert image["disk"].endswith(f"/{profile}.qcow2")
    assert set(doc["networks"]["topologies"]) == {"direct", "nat", "dual-stack"}


def test_readme_inventory_example_is_a_valid_inventory() -> None:
    inventory = pytest.importorskip("infra.windows.inventory")
    parsed = inventory.parse_inventory(readme_inventory(), "vm-images/README.md")
    assert [i.profile for i in parsed.images] == ["win10-22h2", "win11-23h2"]
