# generates this case's input at test time
set -e
printf 'a1\nhead' >nl-target
