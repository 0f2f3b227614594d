"""The emulator's network side: sockets and a TUN device inside a lab namespace, ESP."""
