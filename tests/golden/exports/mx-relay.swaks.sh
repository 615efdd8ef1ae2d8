# Relaying through an MX lookup: the client side of [[send]] number 1, as swaks (run it with bash).
printf '%s' $'From: Alice <alice@example.com>\r\nTo: Bob <bob@example.net>\r\nSubject: Lunch on Friday?\r\nDate: Wed, 25 Nov 2026 09:00:00 +0000\r\nMessage-ID: <lunch-1@example.com>\r\n\r\nHi Bob, are you free for lunch on Friday?\r\nAlice\r\n.' | swaks \
  --server 'smtp.example.com:25' \
  --helo 'laptop.example.com' \
  --from 'alice@example.com' \
  --to 'bob@example.net' \
  --tls-optional \
  --pipeline \
  --data - --no-data-fixup
