"""Secret shapes that must never reach a model: (label, text as it may appear, secret parts).

Every value is fake but has the real shape. A test fails if any `secrets` string survives
redaction anywhere in what would be sent.
"""

from __future__ import annotations

A36 = "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"          # 36 alnum
H32 = "0123456789abcdef0123456789abcdef"
H64 = H32 + "fedcba9876543210fedcba9876543210"
B40 = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"[:40]
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu"
PEM = f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----"

CORPUS: list[tuple[str, str, tuple[str, ...]]] = [
    ("aws access key id", "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", ("AKIAIOSFODNN7EXAMPLE",)),
    ("aws sts key id", "creds: ASIAY34FZKBOKMUTVV7A expired", ("ASIAY34FZKBOKMUTVV7A",)),
    ("aws secret key env", f"AWS_SECRET_ACCESS_KEY={B40}", (B40,)),
    ("aws secret key ini", f"[default]\naws_secret_access_key = {B40}\n", (B40,)),
    ("aws sts json", f'{{"AccessKeyId": "ASIAXXXXEXAMPLE12345", "SecretAccessKey": "{B40}", "SessionToken": "FwoGZXIvYXdzEJr//////////wEaDH"}}',
     ("ASIAXXXXEXAMPLE12345", B40, "FwoGZXIvYXdzEJr//////////wEaDH")),
    ("gcp service account json", '{"type": "service_account", "private_key_id": "' + H32[:40] + '", "private_key": "-----BEGIN PRIVATE KEY-----\\n'
     + PEM_BODY.replace("\n", "\\n") + '\\n-----END PRIVATE KEY-----\\n", "client_email": "sa@proj.iam.gserviceaccount.com"}',
     (H32, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj", "MzEfYyjiWA4R4")),
    ("gcp api key", "maps key AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q in js", ("AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",)),
    ("google oauth access token", "token ya29.a0AfH6SMBx3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1", ("ya29.a0AfH6SMBx3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1",)),
    ("google oauth client secret", "client 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", ("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",)),
    ("azure storage connection string",
     "DefaultEndpointsProtocol=https;AccountName=prodlogs;AccountKey=Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy==;EndpointSuffix=core.windows.net",
     ("Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFy==",)),
    ("azure service bus", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=q83hT1AXG5x3kBQpMmfL0bUKk1cWl2OeXyZ12345678=",
     ("q83hT1AXG5x3kBQpMmfL0bUKk1cWl2OeXyZ12345678=",)),
    ("azure sas url", "GET https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&se=2024-01-01&sr=b&sp=r&sig=abcDEF123%2Bxyz%3D 403",
     ("abcDEF123%2Bxyz%3D",)),
    ("azure client secret", "AZURE_CLIENT_SECRET=Abc8Q~dEfGhIjKlMnOpQrStUvWxYz0123456789a", ("Abc8Q~dEfGhIjKlMnOpQrStUvWxYz0123456789a",)),
    ("azure client secret bare", "retrying with xyz8Q~dEfGhIjKlMnOpQrStUvWxYz0123456789b", ("xyz8Q~dEfGhIjKlMnOpQrStUvWxYz0123456789b",)),
    ("github classic pat", f"git clone failed using ghp_{A36}", (f"ghp_{A36}",)),
    ("github app token", f"ghs_{A36} installation", (f"ghs_{A36}",)),
    ("github fine-grained pat", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd",
     ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcd",)),
    ("gitlab pat", "PRIVATE-TOKEN: glpat-xYz123AbC456dEf789gHi", ("glpat-xYz123AbC456dEf789gHi",)),
    ("gitlab runner token", "runner registered with glrt-AbCdEfGhIjKlMnOpQrStUv", ("glrt-AbCdEfGhIjKlMnOpQrStUv",)),
    ("slack bot token", "SLACK_TOKEN xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", ("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",)),
    ("slack user token", "xoxp-123456789012-123456789012-123456789012-0123456789abcdef0123456789abcdef",
     ("xoxp-123456789012-123456789012-123456789012-0123456789abcdef0123456789abcdef",)),
    ("slack webhook", "posting to https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX failed",
     ("T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",)),
    ("stripe live secret", "stripe.api_key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'", ("sk_live_4eC39HqLyjWDarjtT1zdp7dc",)),
    ("stripe restricted key", "rk_test_51H8xYzAbCdEfGhIjKlMnOp used", ("rk_test_51H8xYzAbCdEfGhIjKlMnOp",)),
    ("stripe webhook secret", "whsec_1234567890abcdefghijABCDEFGHIJ", ("whsec_1234567890abcdefghijABCDEFGHIJ",)),
    ("openai legacy key", "OPENAI_API_KEY=sk-" + A36 + "abcd", ("sk-" + A36 + "abcd",)),
    ("openai project key", "using sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90_uv-wx", ("sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90_uv-wx",)),
    ("anthropic key", "x-api-key: sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AA",
     ("sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AA",)),
    ("openrouter key", "sk-or-v1-" + H64, ("sk-or-v1-" + H64,)),
    ("huggingface token", "HF_TOKEN hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", ("hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567",)),
    ("jwt in log", f"user session {JWT} rejected", (JWT,)),
    ("bearer header", "Authorization: Bearer abc123.def456-ghi789_jkl", ("abc123.def456-ghi789_jkl",)),
    ("bearer in curl", 'curl -H "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0" https://api', ("9f8e7d6c5b4a39281706f5e4d3c2b1a0",)),
    ("basic auth header", "Authorization: Basic YWRtaW46czNjcjN0UGFzcw==", ("YWRtaW46czNjcjN0UGFzcw==",)),
    ("basic-auth url", "fetching https://deploy:Tr0ub4dor%263@registry.internal/v2/ failed", ("Tr0ub4dor%263",)),
    ("postgres uri", "DATABASE_URL=postgres://app:pg_S3cretPass@db.prod:5432/orders", ("pg_S3cretPass",)),
    ("mysql uri", "mysql://root:MyR00tPw!@10.0.0.5:3306/shop", ("MyR00tPw!",)),
    ("mongodb srv uri", "mongodb+srv://svc:M0ng0Pa55@cluster0.abcde.mongodb.net/test", ("M0ng0Pa55",)),
    ("redis uri no user", "redis://:r3d1sS3cret@cache:6379/0", ("r3d1sS3cret",)),
    ("amqp uri", "amqp://guest:Rabb1tPw@mq:5672/", ("Rabb1tPw",)),
    ("password key=value", "login failed user=alice password=hunter2-xyz retry=3", ("hunter2-xyz",)),
    ("password yaml", "db:\n  user: app\n  password: \"quoted p@ss word\"\n", ("quoted p@ss word",)),
    ("password json", '{"username": "bob", "password": "Sup3r$ecret!"}', ("Sup3r$ecret!",)),
    ("pgpassword env", "PGPASSWORD=pgEnvSecret42 psql -h db", ("pgEnvSecret42",)),
    ("cli flag", "mysqldump --password=FlagSecret99 shop", ("FlagSecret99",)),
    ("jdbc query param", "jdbc:mysql://db/shop?user=app&password=JdbcPw123&ssl=true", ("JdbcPw123",)),
    ("ado.net connection string", "Server=tcp:sql.prod;Database=orders;User Id=sa;Password=Ad0NetPw#1;Encrypt=True", ("Ad0NetPw#1",)),
    ("generic api key", "DD_API_KEY=" + H32, (H32,)),
    ("x-api-key header", "X-API-Key: 7c4f9a2b8e1d6f3a0b5c", ("7c4f9a2b8e1d6f3a0b5c",)),
    ("client secret", "client_secret: 'cl13ntS3cr3tV4lu3'", ("cl13ntS3cr3tV4lu3",)),
    ("rsa private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnH\n-----END RSA PRIVATE KEY-----",
     ("MIIEowIBAAKCAQEA1c7+9z5Pad7OejecsQ0bu3aozN3tihPmljnnudb9G3HECdnH",)),
    ("openssh private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----",
     ("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",)),
    ("pkcs8 private key", PEM, ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",)),
    ("ec private key truncated", "key=-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oFwPJ8z", ("MHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oFwPJ8z",)),
    ("pgp private key", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF0yYWQBCADp8kZ0eXzVr\n-----END PGP PRIVATE KEY BLOCK-----", ("lQOYBF0yYWQBCADp8kZ0eXzVr",)),
    ("sendgrid key", "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", ("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",)),
    ("twilio api key", "twilio SK" + H32, ("SK" + H32,)),
    ("npm token", "//registry.npmjs.org/:_authToken=npm_" + A36, ("npm_" + A36,)),
    ("pypi token", "pypi-AgEIcHlwaS5vcmcCJDU1YjE2ZjE2LWI4ZTQtNGM5Zi1hYjYwLTUyNzFhNDc4ZjZkNQACKlsz", ("pypi-AgEIcHlwaS5vcmcCJDU1YjE2ZjE2LWI4ZTQtNGM5Zi1hYjYwLTUyNzFhNDc4ZjZkNQACKlsz",)),
    ("digitalocean token", "dop_v1_" + H64, ("dop_v1_" + H64,)),
    ("shopify token", "shpat_" + H32, ("shpat_" + H32,)),
    ("mailgun key", "key-" + H32, ("key-" + H32,)),
    ("databricks token", "dapi" + H32, ("dapi" + H32,)),
    ("vault token", "VAULT_TOKEN hvs.CAESIJ1bG2cD3eF4gH5iJ6kL7mN8oP9qR0sT", ("hvs.CAESIJ1bG2cD3eF4gH5iJ6kL7mN8oP9qR0sT",)),
    ("grafana service account token", "glsa_AbCdEfGhIjKlMnOpQrStUvWxYz012345_0a1b2c3d", ("glsa_AbCdEfGhIjKlMnOpQrStUvWxYz012345_0a1b2c3d",)),
    ("new relic key", "NRAK-ABCDEFGHIJKLMNOPQRSTUVWXYZ0", ("NRAK-ABCDEFGHIJKLMNOPQRSTUVWXYZ0",)),
    ("telegram bot token", "bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0 sent", ("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",)),
    ("discord webhook", "https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOp-QrStUv_WxYz", ("123456789012345678/AbCdEfGhIjKlMnOp-QrStUv_WxYz",)),
    ("age secret key", "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ", ("AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",)),
    ("k8s secret manifest", "kind: Secret\ndata:\n  tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t\n  db-password: c3VwZXJzZWNyZXQ=\n",
     ("LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t", "c3VwZXJzZWNyZXQ=")),
    ("docker config auth", '{"auths": {"ghcr.io": {"auth": "dXNlcjpnaHBfc2VjcmV0dG9rZW4="}}}', ("dXNlcjpnaHBfc2VjcmV0dG9rZW4=",)),
    ("netrc", "machine api.example.com login ci password NetrcPw2024", ("NetrcPw2024",)),
    ("cookie header", "Cookie: sessionid=8f14e45fceea167a5a36dedd4bea2543; theme=dark", ("8f14e45fceea167a5a36dedd4bea2543",)),
    ("aws presigned url", "https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIAIOSFODNN7EXAMPL2%2F20240101&X-Amz-Signature=" + H64,
     ("AKIAIOSFODNN7EXAMPL2", H64)),
    ("private key env var", "SIGNER_PRIVATE_KEY=0x4c0883a69102937d6231471b5dbb6204fe512961708279f6b8b4e2c9a1d3e5f7",
     ("0x4c0883a69102937d6231471b5dbb6204fe512961708279f6b8b4e2c9a1d3e5f7",)),
    ("groq key", "gsk_" + A36 + "AbCdEfGh", ("gsk_" + A36 + "AbCdEfGh",)),
    ("aiops internal key", "AIOPS_GATEWAY_INTERNAL_KEY=aiops-ik-Zx81_Qw72-Er63Ty54Ui45", ("aiops-ik-Zx81_Qw72-Er63Ty54Ui45",)),
]

# Texts that carry no secret: redaction must leave them as they are (no false positives).
CLEAN: list[str] = [
    "frontend-7d9f8c6b5-x2x9z CrashLoopBackOff: back-off 5m0s restarting failed container",
    "latency_p90_seconds rose from 0.12 to 2.4 at 2023-01-29T08:43:04Z on service checkout",
    "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7 status=ERROR",
    "max_tokens=1024 prompt_tokens=812 completion_tokens=96",
    "GET /api/v1/orders?page=2&limit=50 200 13ms",
    "task-runner disk-pressure node/ip-10-0-1-23 evicted 3 pods",
    "connection refused to payment:8080 (dial tcp 10.96.0.12:8080)",
]
