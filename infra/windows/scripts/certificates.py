"""Certificate installation on the guest: CA and machine certificates, user PFX, removal.

The lab PKI (infra.pki) produces DER certificates and PKCS#12 files in Python; these scripts
carry them to the guest as base64 text inside the script, write them to a temporary file
(the pki cmdlets take only file paths), import them and delete the file in `finally`.
Where each certificate must live follows windows-driving.md section 2: the gateway's CA in
LocalMachine\\Root (also for EAP-TLS), the IKEv2 machine certificate in LocalMachine\\My,
the EAP-TLS user certificate in the test user's CurrentUser\\My.
"""

from __future__ import annotations

import base64
from typing import Literal

from infra.windows import pshelpers
from infra.windows.script import Param, PsScript, build_script
from infra.windows.scripts import _check

CertStore = Literal["Root", "CA", "My"]
StoreLocation = Literal["LocalMachine", "CurrentUser"]
STORES: tuple[CertStore, ...] = ("Root", "CA", "My")
STORE_LOCATIONS: tuple[StoreLocation, ...] = ("LocalMachine", "CurrentUser")
PfxTarget = Literal["machine", "user"]

_CERT_FIELDS = r"""
function ConvertTo-WinteropCertificateInfo {
    param($Certificate)
    return [ordered]@{
        thumbprint = [string]$Certificate.Thumbprint
        subject = [string]$Certificate.Subject
        issuer = [string]$Certificate.Issuer
        has_private_key = [bool]$Certificate.HasPrivateKey
        not_after = $Certificate.NotAfter.ToUniversalTime().ToString('o')
    }
}
"""

_IMPORT_CERTIFICATE_BODY = r"""
$certificatePath = New-WinteropTempPath -Extension '.cer'
try {
    $bytes = [System.Convert]::FromBase64String($CertificateBase64)
    [System.IO.File]::WriteAllBytes($certificatePath, $bytes)
    # docs: pki/Import-Certificate.md
    $importArgs = @{
        FilePath = $certificatePath            # -FilePath: DER/Base64 .cer; first cert only
        CertStoreLocation = $CertStoreLocation # -CertStoreLocation: Cert:\LocalMachine\<store>
    }
    $imported = @(Import-Certificate @importArgs)
}
finally {
    Remove-Item -LiteralPath $certificatePath -Force -ErrorAction SilentlyContinue
}
$WinteropData = [ordered]@{
    store = $CertStoreLocation
    certificates = @($imported | ForEach-Object { ConvertTo-WinteropCertificateInfo $_ })
}
"""

_IMPORT_PFX_BODY = r"""
if ($ExpectedUser.Length -gt 0) {
    # CurrentUser\My is the store of the user this session runs as; importing over plain
    # WinRM as another account would silently fill the wrong store (windows-driving.md s.2).
    $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent().Name
    $leaf = $identity.Split('\')[-1]
    if ($identity -ne $ExpectedUser -and $leaf -ne $ExpectedUser) {
        throw ('this session runs as ' + $identity + ', not ' + $ExpectedUser +
            '; CurrentUser\My needs a session of that user (CredSSP or SSH password)')
    }
}
$pfxPath = New-WinteropTempPath -Extension '.pfx'
try {
    [System.IO.File]::WriteAllBytes($pfxPath, [System.Convert]::FromBase64String($PfxBase64))
    # docs: pki/Import-PfxCertificate.md
    $pfxArgs = @{
        FilePath = $pfxPath                    # -FilePath: the PFX file
        CertStoreLocation = $CertStoreLocation # -CertStoreLocation: ...\My
    }                                          # no -Exportable: the key stays non-exportable
    if ($PfxPassword.Length -gt 0) {
        # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Security/
        #       ConvertTo-SecureString.md (-String -AsPlainText -Force)
        $pfxArgs.Password = ConvertTo-SecureString -String $PfxPassword -AsPlainText -Force
    }
    $imported = @(Import-PfxCertificate @pfxArgs)
}
finally {
    Remove-Item -LiteralPath $pfxPath -Force -ErrorAction SilentlyContinue
}
$withKey = @($imported | Where-Object { $_.HasPrivateKey })
if ($withKey.Count -eq 0) {
    throw 'the PFX held no certificate with a private key (Windows would fail 13806/13820)'
}
$WinteropData = [ordered]@{
    store = $CertStoreLocation
    thumbprint = [string]$withKey[0].Thumbprint
    certificates = @($imported | ForEach-Object { ConvertTo-WinteropCertificateInfo $_ })
}
"""

_REMOVE_CERTIFICATE_BODY = r"""
$found = @(Get-ChildItem -LiteralPath $CertStorePath |
    Where-Object { $_.Thumbprint -eq $Thumbprint })
foreach ($certificate in $found) {
    # docs: PowerShell-Docs reference/5.1/Microsoft.PowerShell.Security/About/
    #       about_Certificate_Provider.md (Remove-Item -DeleteKey removes the private key too)
    if ($certificate.HasPrivateKey) {
        Remove-Item -LiteralPath $certificate.PSPath -DeleteKey -Force
    }
    else {
        Remove-Item -LiteralPath $certificate.PSPath -Force
    }
}
$WinteropData = [ordered]@{ store = $CertStorePath; removed = $found.Count }
"""


def _b64(what: str, blob: bytes) -> str:
    if not isinstance(blob, bytes | bytearray) or not blob:
        raise ValueError(f"{what} must be non-empty bytes")
    return base64.b64encode(bytes(blob)).decode("ascii")


def import_certificate(der: bytes, *, store: CertStore = "Root") -> PsScript:
    """Import one DER certificate into Cert:\\LocalMachine\\<store> (Root, CA or My).

    Used for the gateway's CA (Root, needed for IKEv2 and EAP-TLS alike) and intermediates
    (CA). Idempotent: importing a certificate already present changes nothing.
    """
    _check.choice("store", store, STORES)
    return build_script(
        "import-certificate",
        "{store: str, certificates: [{thumbprint, subject, issuer, has_private_key, not_after}]}",
        [
            Param("CertificateBase64", _b64("der", der)),
            Param("CertStoreLocation", f"Cert:\\LocalMachine\\{store}"),
        ],
        _IMPORT_CERTIFICATE_BODY,
        helpers=[pshelpers.NEW_TEMP_PATH, _CERT_FIELDS],
    )


def import_pfx_certificate(
    pfx: bytes, password: str, *, target: PfxTarget, user: str | None = None
) -> PsScript:
    """Import a PKCS#12 file: `machine` into LocalMachine\\My, `user` into CurrentUser\\My.

    For `user`, `user` names the test account and the script refuses to run in another
    account's session (Import-PfxCertificate over plain WinRM needs delegation for user
    stores; the transport must log on as that user). The private key is not exportable.
    The PFX must use an encryption Windows can read (AES-256 PBES2 from Windows 10 1809;
    `openssl pkcs12 -legacy` before that).
    """
    _check.choice("target", target, ("machine", "user"))
    if not isinstance(password, str):
        raise ValueError("password must be a string ('' for an unprotected PFX)")
    if target == "user":
        if user is None:
            raise ValueError("target='user' needs the test user's account name")
        _check.text("user", user, max_len=256, single_line=True)
        location = "Cert:\\CurrentUser\\My"
    else:
        if user is not None:
            raise ValueError("user applies only to target='user'")
        location = "Cert:\\LocalMachine\\My"
    return build_script(
        f"import-pfx-{target}",
        "{store: str, thumbprint: str (the certificate with the private key), "
        "certificates: [{thumbprint, subject, issuer, has_private_key, not_after}]}",
        [
            Param("PfxBase64", _b64("pfx", pfx)),
            Param("PfxPassword", password, secret=True),
            Param("CertStoreLocation", location),
            Param("ExpectedUser", user or ""),
        ],
        _IMPORT_PFX_BODY,
        helpers=[pshelpers.NEW_TEMP_PATH, _CERT_FIELDS],
    )


def remove_certificate(
    thumbprint: str, *, store: CertStore, location: StoreLocation = "LocalMachine"
) -> PsScript:
    """Delete a certificate (and its private key) by thumbprint; absent is not an error."""
    _check.choice("store", store, STORES)
    _check.choice("location", location, STORE_LOCATIONS)
    return build_script(
        "remove-certificate",
        "{store: str, removed: int (0 when the certificate was absent)}",
        [
            Param("Thumbprint", _check.thumbprint(thumbprint)),
            Param("CertStorePath", f"Cert:\\{location}\\{store}"),
        ],
        _REMOVE_CERTIFICATE_BODY,
    )
