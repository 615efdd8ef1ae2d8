# Submission on port 587 with STARTTLS and AUTH: the client side of [[send]] number 1, as swaks (run it with bash).
printf '%s' $'From: alice@example.com\r\nTo: bob@example.net\r\nSubject: Test Email\r\n\r\nThis is a test email.\r\n.' | swaks \
  --server 'smtp.example.com:587' \
  --helo 'laptop.example.com' \
  --from 'alice@example.com' \
  --to 'bob@example.net' \
  --tls \
  --auth PLAIN,LOGIN \
  --auth-user 'alice' \
  --auth-password 'correct horse battery staple' \
  --pipeline \
  --data - --no-data-fixup
