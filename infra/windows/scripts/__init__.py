"""One module per concern, each returning `PsScript` values (infra.windows.script).

certificates: Import-Certificate / Import-PfxCertificate / removal
profile:      Add-VpnConnection / Remove-VpnConnection (with New-EapConfiguration from eap)
eap:          New-EapConfiguration (EAP-MSCHAPv2 default, EAP-TLS with a user certificate)
ipsec:        Set-VpnConnectionIPsecConfiguration (six custom values or -RevertToDefault)
registry:     REG_DWORD knobs such as NegotiateDH2048_AES256, with service restarts
routes:       Add-VpnConnectionRoute
dial:         rasdial connect / disconnect with the EAP 703 workarounds (_dial_methods)
state:        Get-VpnConnection, Get-NetIPAddress, Get-DnsClientServerAddress, Get-NetRoute
reach:        Test-Connection / Test-NetConnection
logs:         RasClient and IPsec audit events, route print, ipconfig /all
pktmon:       optional in-guest capture
"""
