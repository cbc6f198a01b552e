# generates this case's input at test time
set -e
chmod 777 versions
