# generates this case's input at test time
set -e
ln -s extra2 extra && ln -s extra extra2
