# generates this case's input at test time
set -e
ln -s b1_loop.sql versions/b1_loop.sql
