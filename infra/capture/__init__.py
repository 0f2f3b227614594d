"""Capturing IKE traffic on the gateway side and decoding it, decrypted, with tshark."""
