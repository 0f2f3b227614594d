"""The Windows Agile VPN client emulator: a real IKEv2 initiator that behaves like Windows."""
