"""The emulated Windows machine: certificate stores, registry, VPN profiles, IPsec policy.

DESIGN.md: the emulator models the Windows machine, not only its packets, and fails the
way Windows fails. This package turns the machine's state into a DialConfig for the IKE
engine (emulator.sa) and its outcomes into Windows error numbers.
"""
