# generates this case's input at test time
set -e
rm -r versions
