"""The emulator's own IKE SA keys as Wireshark ``ikev2_decryption_table`` rows.

For reading a client-side capture, or comparing with the keys charon logs; never for a
verdict (the suites decrypt with the gateway's keys: the emulator must not grade itself).
Row format (UAT file syntax, hex unquoted, names quoted), strongswan-lab.md section 10.
"""

from __future__ import annotations

from emulator.sa.ike_sa import IkeSa
from emulator.sa.names import wireshark_encryption, wireshark_integrity


def decryption_table_row(sa: IkeSa) -> str:
    encr = sa.suite.encr
    integ = sa.suite.integ
    keys = sa.keys
    ai = "" if integ is None else keys.sk_ai.hex()
    ar = "" if integ is None else keys.sk_ar.hex()
    return (
        f"{sa.spi_i.hex()},{sa.spi_r.hex()},{keys.sk_ei.hex()},{keys.sk_er.hex()},"
        f'"{wireshark_encryption(encr.transform_id, encr.key_bits)}",{ai},{ar},'
        f'"{wireshark_integrity(None if integ is None else integ.transform_id)}"'
    )
