# Ask for delivery reports: NOTIFY and RET: the client side of [[send]] number 1, as swaks (run it with bash).
# The lesson asks for DSNs (RET/ENVID/NOTIFY); swaks cannot send those parameters.
printf '%s' $'From: alice@example.com\r\nTo: bob@example.net, carol@example.net\r\nSubject: Please confirm\r\n\r\nDid you get this?\r\n.' | swaks \
  --server 'smtp.example.com:25' \
  --helo 'laptop.example.com' \
  --from 'alice@example.com' \
  --to 'bob@example.net,carol@example.net' \
  --tls-optional \
  --pipeline \
  --data - --no-data-fixup
