# generates this case's input at test time
set -e
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "x" }' >long-target
