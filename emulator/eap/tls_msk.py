"""The EAP-TLS MSK, per negotiated TLS version and gateway generation.

All three derivations are TLS exporters, so they are computed with the TLS library's
exporter (``SSL_export_keying_material`` through pyOpenSSL); this module only chooses
label, context and length, which is where implementations disagree:

========================  =====================================================================
TLS 1.2 (RFC 5216 2.3)    ``PRF(master_secret, "client EAP encryption", client.random ||
                          server.random)``, first 64 of 128 octets. The RFC 5705 exporter
                          without context computes exactly that.
TLS 1.3, RFC 9190 2.3     ``TLS-Exporter("EXPORTER_EAP_TLS_Key_Material", 0x0D, 128)``,
                          first 64 octets (0x0D = EAP type 13 as the context).
TLS 1.3, strongSwan 5.9   ``TLS-Exporter("client EAP encryption", "", 128)``, first 64
                          octets: the RFC 5216 label with an empty context.
========================  =====================================================================

The strongSwan 5.9.8 finding (the lab's Debian 12 gateway), from its source:

* ``src/libtls/tls_crypto.c`` (tag 5.9.8), ``derive_app_keys()``: for TLS 1.3 it calls
  ``hkdf->export(hkdf, this->msk_label, chunk_empty, this->handshake, 128, &msk)`` and
  keeps 64 octets; ``msk_label`` is ``"client EAP encryption"`` for EAP-TLS (set in
  ``tls_crypto_create``). ``src/libtls/tls_hkdf.c`` ``export()`` is RFC 8446 7.5
  (``HKDF-Expand-Label(Derive-Secret(exporter_master_secret, label, ""), "exporter",
  Hash(context), length)``); the server derives it right after sending its Finished
  (``tls_server.c``), so the transcript is the standard one.
* No protected success indication: 5.9.8 sends EAP-Success right after the client's
  Finished; the 0x00 indication came with commit 5401a74d36 ("eap-tls: Add support for
  TLS 1.3"), and the RFC 9190 label and context with 06abdf1d31 ("tls-crypto: Fix MSK
  calculation for TLS 1.3"), both first released in 5.9.10.
* TLS 1.3 is off by default in 5.9.8 (``src/libtls/tls.c`` ``determine_versions()``:
  ``version_max`` defaults to 1.2, "until 1.3 is stable for use in EAP"), so against a
  default gateway Windows 11 negotiates TLS 1.2 and the RFC 5216 MSK applies.

So a gateway running 5.9.8 with ``charon.tls.version_max = 1.3`` needs
:attr:`Tls13Msk.STRONGSWAN_59`; a real Windows 11 (RFC 9190) fails the IKE AUTH there.
Length matters for TLS 1.3: HKDF-Expand-Label encodes it, so 128 octets are exported
and cut, as both RFC 9190 and strongSwan do.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.const import EapType
from emulator.eap.tls_config import Tls13Msk

RFC5216_LABEL = b"client EAP encryption"
RFC9190_LABEL = b"EXPORTER_EAP_TLS_Key_Material"
KEY_MATERIAL_LEN = 128
MSK_LEN = 64

Exporter = Callable[[bytes, int, bytes | None], bytes]
"""``(label, length, context or None) -> bytes``, e.g. pyOpenSSL's
``Connection.export_keying_material``."""


def derive_msk(export: Exporter, tls_version: str, tls13_msk: Tls13Msk) -> bytes:
    """The 64-octet MSK for a finished handshake of ``tls_version`` ("TLSv1.2"/"TLSv1.3")."""
    if tls_version == "TLSv1.3":
        if tls13_msk is Tls13Msk.RFC9190:
            material = export(RFC9190_LABEL, KEY_MATERIAL_LEN, bytes([EapType.TLS]))
        else:
            material = export(RFC5216_LABEL, KEY_MATERIAL_LEN, None)
    elif tls_version == "TLSv1.2":
        material = export(RFC5216_LABEL, KEY_MATERIAL_LEN, None)
    else:
        raise ValueError(f"EAP-TLS MSK for {tls_version} is not defined here")
    return material[:MSK_LEN]
