"""What windows-client-behavior.md says a Windows build puts on the wire, as data.

The wire checks compare the gateway-side capture (decoded by tshark) with these
statements. They are restated here from the reference's tables (sections 1.2-1.6, 2.2,
9.2), not taken from the emulator's proposal builder, so a bug there cannot make its own
test pass. Which table applies to a build, and every other per-build fact, comes from the
Windows behaviour oracle (expectations/windows), never from the emulator's profiles: the
suites grade the emulator (and real Windows VMs) against the reference, not against itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from expectations.windows.oracle import expect
from infra.capture.facts import Transform
from infra.client_setup import ClientSetup

# IANA numbers (RFC 7296 3.3.2), spelled out so the tables read like the reference's.
ENCR, PRF, INTEG, DH, ESN = 1, 2, 3, 4, 5
ENCR_3DES, ENCR_AES_CBC, ENCR_AES_GCM_16 = 3, 12, 20
SHA1 = (2, 2)  # (INTEG HMAC_SHA1_96, PRF_HMAC_SHA1)
SHA256 = (12, 5)  # (INTEG HMAC_SHA2_256_128, PRF_HMAC_SHA2_256)
SHA384 = (13, 6)  # (INTEG HMAC_SHA2_384_192, PRF_HMAC_SHA2_384)
MODP1024, MODP2048, ECP384 = 2, 14, 20

Offer = tuple[Transform, ...]

INIT_WITH_FRAG = "SA KE No N(FRAG_SUP) N(NATD_S_IP) N(NATD_D_IP) V V V V"
"""1.2, Windows 10 1803 and later, Windows 11."""
INIT_WITHOUT_FRAG = "SA KE No N(NATD_S_IP) N(NATD_D_IP) V V V V"
"""1.2, Windows 7, 8.x, 10 before 1803."""
AUTH_MACHINE_CERT = (
    "IDi CERT CERTREQ AUTH N(MOBIKE_SUP) CPRQ(ADDR DNS NBNS SRV ADDR6 DNS6 SRV6) SA TSi TSr"
)
"""2.2, case A (strongSwan's notation of the decrypted first IKE_AUTH request)."""
AUTH_EAP = "IDi CERTREQ N(MOBIKE_SUP) CPRQ(ADDR DNS NBNS SRV ADDR6 DNS6 SRV6) SA TSi TSr"
"""2.2, cases B and C: no AUTH, no CERT, no EAP payload, no IDr."""
ID_IPV4_ADDR, ID_IPV6_ADDR = 1, 5
"""2.6: IDi in the EAP cases carries the client's current local address."""

EAP_IDENTITY, EAP_NAK, EAP_TLS, EAP_MSCHAPV2 = 1, 3, 13, 26
MSCHAPV2_CHALLENGE, MSCHAPV2_RESPONSE, MSCHAPV2_SUCCESS, MSCHAPV2_FAILURE = 1, 2, 3, 4


@dataclass(frozen=True)
class EapStep:
    """One EAP packet of the conversation: who sent it, strongSwan's label (`REQ/ID`,
    `RES/MSCHAPV2`, `SUCC`), the MS-CHAPv2 OpCode and the identity where they matter."""

    sender: str
    label: str
    opcode: int | None = None
    identity: str | None = None


def mschapv2_ladder(identity: str, *, nak: bool) -> list[EapStep]:
    """2.7: the EAP-MSCHAPv2 conversation as Windows runs it. With eap-dynamic the gateway
    first offers EAP-TLS and the client NAKs it (desired type 26)."""
    steps = [EapStep("gateway", "REQ/ID"), EapStep("client", "RES/ID", identity=identity)]
    if nak:
        steps += [EapStep("gateway", "REQ/TLS"), EapStep("client", "RES/NAK")]
    return [
        *steps,
        EapStep("gateway", "REQ/MSCHAPV2", MSCHAPV2_CHALLENGE),
        EapStep("client", "RES/MSCHAPV2", MSCHAPV2_RESPONSE),
        EapStep("gateway", "REQ/MSCHAPV2", MSCHAPV2_SUCCESS),
        EapStep("client", "RES/MSCHAPV2", MSCHAPV2_SUCCESS),  # OpCode only (2.7, 4)
        EapStep("gateway", "SUCC"),
    ]


def mschapv2_failure_ladder(identity: str) -> list[EapStep]:
    """2.7: a rejected Response gets `E=691 R=1` and Windows answers nothing in EAP (no
    Failure Response; Windows 7 sends an IKE Delete instead; the builds' profiles make no
    retry, mschapv2_retries = 0)."""
    return [
        EapStep("gateway", "REQ/ID"),
        EapStep("client", "RES/ID", identity=identity),
        EapStep("gateway", "REQ/MSCHAPV2", MSCHAPV2_CHALLENGE),
        EapStep("client", "RES/MSCHAPV2", MSCHAPV2_RESPONSE),
        EapStep("gateway", "REQ/MSCHAPV2", MSCHAPV2_FAILURE),
    ]


def eap_tls_opening(identity: str) -> list[EapStep]:
    """2.8: the identity round (the certificate's CN), then the gateway's EAP-TLS Start."""
    return [
        EapStep("gateway", "REQ/ID"),
        EapStep("client", "RES/ID", identity=identity),
        EapStep("gateway", "REQ/TLS"),
        EapStep("client", "RES/TLS"),
    ]


def gateway_auth_requests_mschapv2(*, nak: bool) -> list[str]:
    """2.7 as charon logs the IKE_AUTH requests it parsed (payloads only)."""
    return [
        AUTH_EAP,
        "EAP/RES/ID",
        *(["EAP/RES/NAK"] if nak else []),
        "EAP/RES/MSCHAPV2",
        "EAP/RES/MSCHAPV2",
        "AUTH",
    ]


def gateway_auth_requests_tls(*, tls_rounds: int) -> list[str]:
    """2.8 as charon logs it: the first request, the identity, TLS_ROUNDS EAP-TLS
    responses (their number depends on certificate and fragment sizes), then AUTH."""
    return [AUTH_EAP, "EAP/RES/ID", *["EAP/RES/TLS"] * tls_rounds, "AUTH"]


ERROR_IPSEC_IKE_AUTH_FAIL = 13801
"""11: the error a failed IKE authentication ends the dial with (how the reference client's
failures are classified, too)."""

MS_NT5_ISAKMPOAKLEY = bytes.fromhex("1e2b516905991c7d7c96fcbfb587e461")
MS_NEGOTIATION_DISCOVERY = bytes.fromhex("fb1de3cdf341b7ea16b7e5be0855f120")
VID_INITIAL_CONTACT = bytes.fromhex("26244d38eddb61b3172a36e3d0cfb819")
WINDOWS_KEY_MODS = bytes.fromhex("01528bbbc00696121849ab9a1c5b2a51") + bytes.fromhex("00000002")

GATEWAY_VENDOR_LINES = (
    "received MS NT5 ISAKMPOAKLEY v{nt5} vendor ID",
    "received MS-Negotiation Discovery Capable vendor ID",
    "received Vid-Initial-Contact vendor ID",
    "received unknown vendor ID: 01:52:8b:bb:c0:06:96:12:18:49:ab:9a:1c:5b:2a:51:00:00:00:02",
)
"""How charon 5.9.8 logs the four vendor IDs (ike_vendor.c names the first three)."""


def vendor_ids(nt5_version: int) -> tuple[bytes, ...]:
    """1.4: the four vendor IDs in wire order."""
    return (
        MS_NT5_ISAKMPOAKLEY + nt5_version.to_bytes(4, "big"),
        MS_NEGOTIATION_DISCOVERY,
        VID_INITIAL_CONTACT,
        WINDOWS_KEY_MODS,
    )


def _cbc(encr: int, bits: int | None, hashes: tuple[int, int], group: int) -> Offer:
    integ, prf = hashes
    return (
        Transform(ENCR, encr, bits),
        Transform(INTEG, integ),
        Transform(PRF, prf),
        Transform(DH, group),
    )


def set_a() -> list[Offer]:
    """1.6 A: 3DES, AES-128, -192, -256, each with SHA1, SHA256, SHA384, all MODP1024."""
    ciphers = ((ENCR_3DES, None), (ENCR_AES_CBC, 128), (ENCR_AES_CBC, 192), (ENCR_AES_CBC, 256))
    return [_cbc(e, b, h, MODP1024) for e, b in ciphers for h in (SHA1, SHA256, SHA384)]


def gcm_set() -> list[Offer]:
    """1.6 B: AES-GCM-16 128/256 x PRF SHA1/SHA256/SHA384, no INTEG, MODP1024."""
    return [
        (Transform(ENCR, ENCR_AES_GCM_16, bits), Transform(PRF, prf), Transform(DH, MODP1024))
        for bits in (128, 256)
        for _, prf in (SHA1, SHA256, SHA384)
    ]


def set_c() -> list[Offer]:
    """1.6 C: 3DES and AES-256 interleaved per hash, MODP1024."""
    return [
        _cbc(e, b, h, MODP1024)
        for h in (SHA1, SHA256, SHA384)
        for e, b in ((ENCR_3DES, None), (ENCR_AES_CBC, 256))
    ]


def set_d() -> list[Offer]:
    """1.6 D, NegotiateDH2048_AES256 = 2: AES-256 with SHA1, SHA256, SHA384, MODP2048."""
    return [_cbc(ENCR_AES_CBC, 256, h, MODP2048) for h in (SHA1, SHA256, SHA384)]


@dataclass(frozen=True)
class BuildFacts:
    """The oracle's facts the reference tables are selected by, for one Windows build.

    Each property reads the oracle when it is used, so a test's record names only the facts
    its expectation really rested on (and the report marks the cell when one is uncertain).
    """

    build: str

    @property
    def frag_sup_in_init(self) -> bool:
        return expect(self.build, "init_announces_fragmentation").as_bool()

    @property
    def nt5_version(self) -> int:
        return expect(self.build, "nt5_vendor_id_version").as_int()

    @property
    def ike_proposals(self) -> str:
        return expect(self.build, "default_ike_proposal_set").as_str()

    @property
    def gcm_proposals_first(self) -> bool:
        return expect(self.build, "gcm_proposals_first").as_bool()

    @property
    def dh2048_registry_supported(self) -> bool:
        return expect(self.build, "dh2048_registry_supported").as_bool()

    @property
    def dh2048_value1(self) -> str:
        return expect(self.build, "dh2048_value1").as_str()

    @property
    def mschapv2_delete_on_failure(self) -> bool:
        """2.7: Windows 7 sends an IKE Delete instead of answering an MS-CHAPv2 failure."""
        return expect(self.build, "mschapv2_delete_on_failure").as_bool()

    @property
    def eap_tls_no_certificate(self) -> str:
        """3: when a missing EAP-TLS user certificate fails the dial (798)."""
        return expect(self.build, "eap_tls_no_certificate_when").as_str()


def default_ike_offer(build: BuildFacts) -> list[Offer]:
    if build.ike_proposals == "B":
        return gcm_set() + set_a() if build.gcm_proposals_first else set_a() + gcm_set()
    if build.ike_proposals == "C":
        return set_c()
    return set_a()


def ike_offer(build: BuildFacts, setup: ClientSetup) -> list[Offer]:
    """The IKE proposals the build offers with the registry values of SETUP."""
    registry = dict(setup.registry)
    dh2048 = registry.get("NegotiateDH2048_AES256", 0)
    if dh2048 not in (1, 2) or not build.dh2048_registry_supported:
        return default_ike_offer(build)
    if dh2048 == 1 and build.dh2048_value1 == "prepend-to-default":
        return [_cbc(ENCR_AES_CBC, 256, SHA1, MODP2048), *default_ike_offer(build)]
    return set_d()


def init_payloads(build: BuildFacts) -> str:
    return INIT_WITH_FRAG if build.frag_sup_in_init else INIT_WITHOUT_FRAG


def custom_policy_offer(
    encryption_method: str, integrity_check_method: str, dh_group: str
) -> list[Offer]:
    """1.6 E / 9.2: the single IKE proposal of a custom policy (names as the cmdlet's)."""
    hashes = {"SHA1": SHA1, "SHA256": SHA256, "SHA384": SHA384}[integrity_check_method]
    group = {"Group2": MODP1024, "Group14": MODP2048, "ECP256": 19, "ECP384": ECP384}[dh_group]
    if encryption_method.startswith("GCMAES"):
        bits = int(encryption_method.removeprefix("GCMAES"))
        return [
            (
                Transform(ENCR, ENCR_AES_GCM_16, bits),
                Transform(PRF, hashes[1]),
                Transform(DH, group),
            )
        ]
    bits = int(encryption_method.removeprefix("AES"))
    return [_cbc(ENCR_AES_CBC, bits, hashes, group)]


def build_facts(build: str) -> BuildFacts:
    """The oracle's reference-table selectors of a Windows build."""
    return BuildFacts(build)
