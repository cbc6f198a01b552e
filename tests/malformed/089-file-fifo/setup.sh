# generates this case's input at test time
set -e
mkfifo versions/b1_fifo.sql
