@echo off
rem Runs as SYSTEM on each clone after Windows Setup completes, before the first logon.
rem The clone has a new computer name: re-create the WinRM HTTPS listener for it, then
rem delete the answer file that held the test user password.
powershell -NoProfile -ExecutionPolicy Bypass -File C:\winterop\winrm-https.ps1 >> C:\winterop\setupcomplete.log 2>&1
del /f /q C:\winterop\sysprep-unattend.xml
exit /b 0
