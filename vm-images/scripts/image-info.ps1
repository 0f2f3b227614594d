# Records what the image is, inside the image: profile, build date and the exact Windows
# build (CurrentBuild.UBR), as C:\winterop\image.json. README.md shows how to read it back
# when registering the image in the inventory (build field: 10.0.<CurrentBuild>).
$ErrorActionPreference = 'Stop'
$cv = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
$info = [ordered]@{
    profile      = $env:WO_PROFILE
    built        = $env:WO_BUILT
    build        = "10.0.$($cv.CurrentBuild)"
    ubr          = $cv.UBR
    edition      = $cv.EditionID
    display      = $cv.DisplayVersion
}
$info | ConvertTo-Json -Compress | Set-Content -Path 'C:\winterop\image.json' -Encoding UTF8
Write-Output ($info | ConvertTo-Json -Compress)
