"""The shapes of secrets (and optionally PII) that must never leave the machine.

Each rule is (kind, pattern, needles). Where the pattern has a group named `secret`, only
that group is replaced (the key name, the URL host stay readable); otherwise the whole match
is. Rules run in order, specific shapes first; a placeholder is never matched again. A rule
runs only on text that holds one of its needles (lower-cased); no needles: always.
Random tokens near secret words that no shape names are aiops.redaction.entropy's part.
"""

from __future__ import annotations

import re

# (kind, pattern, needles): the rule runs only on text whose lower-cased form contains one
# of its needles, a cheap test that spares most text most of the ~50 regex scans.
Rule = tuple[str, str, tuple[str, ...]]

_NOT_PLACEHOLDER = r"(?!\[REDACTED_)"

# Key names whose value is a secret, in key=value, key: value, "key": "value", headers. Any
# word *ending* in one of these counts (aws_secret_access_key, PGPASSWORD, X-Amz-Signature),
# so no prefix is matched: that keeps the scan linear in the text.
# "password" in other languages; a non-ASCII letter also matches its JSON escape (\u00f1),
# as text inside a JSON document written with ensure_ascii carries it
PASSWORD_WORDS = ("passwort", "kennwort", "contraseña", "contrasena", "mot_de_passe", "mot-de-passe", "motdepasse",
                  "senha", "wachtwoord", "hasło", "haslo", "lösenord", "losenord", "salasana", "parola", "пароль",
                  "密码", "密碼", "パスワード", "비밀번호")


def _spelled(word: str) -> str:
    if word.isascii():
        return re.escape(word)
    return "(?:" + re.escape(word) + "|" + "".join(
        c if c.isascii() else rf"\\u{ord(c):04x}" for c in word) + ")"


FOREIGN_PASSWORD = "(?:" + "|".join(_spelled(w) for w in PASSWORD_WORDS) + ")"   # a rule of its own
_FOREIGN_NEEDLES = tuple(dict.fromkeys(n for w in PASSWORD_WORDS
                                       for n in (w, "".join(c if c.isascii() else f"\\u{ord(c):04x}" for c in w))))
_SECRET_KEY = (
    r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key(?:[_-]?id)?|privatekey|account[_-]?key|shared[_-]?access[_-]?key|client[_-]?secret|credentials?"
    r"|signature|sig|session[_-]?id|sessionid|cookie|tls\.key|\.dockerconfigjson|auth[_-]?key)"
)
_KEY_NEEDLES = ("pass", "pwd", "secret", "token", "key", "credential", "sig", "session", "cookie", ".dockerconfigjson")
_KEY_START = "(?=[pstac.])"     # the first letter of a key name: a 3x faster scan
_SEP = r"(?![A-Za-z0-9_])(?:\\?[\"'])?\s*[:=]\s*"
_KEY_THEN_SEP = _KEY_START + _SECRET_KEY + _SEP
# the value after key= in its three spellings: JSON-escaped quotes (a JSON document inside a
# JSON string: \"key\": \"value\"), quotes (with escapes), bare up to a delimiter
_VALUE = (r"(?:\\(?P<q1>[\"'])(?P<secret>" + _NOT_PLACEHOLDER + r"(?:(?!\\(?P=q1))[^\n])+)\\(?P=q1)"
          r"|(?P<q2>[\"'])(?P<secret_quoted>" + _NOT_PLACEHOLDER + r"(?:(?!(?P=q2))[^\n\\]|\\.)+)(?P=q2)"
          r"|(?![^\s\"',;&<>(){}\[\]\\]*:(?:\s|$))(?P<secret_bare>[^\s\"',;&<>(){}\[\]\\]+))")   # not a "key:" itself
# a command-line value: 'quoted', "quoted" or bare
_ARG = r"(?!\[REDACTED_)(?:'[^'\n]+'|\"[^\"\n]+\"|[^\s'\"]+)"

SECRET_RULES: list[Rule] = [
    # Multi-line or structured secrets first.
    ("private_key", r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)", ("private key",)),
    ("jwt", r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*", ("eyj",)),
    # a URL's password (scheme://user:PASSWORD@host), or a token as its user (a Sentry DSN's
    # key, https://ghp_...@github.com/)
    ("url_password", r"(?i)\b[a-z][a-z0-9+.-]*://(?:[^\s:/@?#]*:(?P<secret>" + _NOT_PLACEHOLDER + r"[^\s@/?#]+)"
     r"|(?P<secret_token>" + _NOT_PLACEHOLDER + r"[A-Za-z0-9_-]{16,}))@", ("://",)),
    ("webhook_url", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9/_-]+)", ("hooks.slack.com",)),
    ("webhook_url", r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/(?P<secret>\d+/[A-Za-z0-9_-]+)", ("/api/webhooks/",)),
    # Provider tokens with a recognisable prefix.
    ("aws_access_key", r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b", ("a3t", "akia", "asia", "abia", "acca", "agpa", "aida", "aroa", "aipa", "anpa", "anva", "apka")),
    ("gcp_api_key", r"\bAIza[0-9A-Za-z_-]{35}", ("aiza",)),
    ("google_oauth_token", r"\bya29\.[0-9A-Za-z_-]{20,}", ("ya29.",)),
    ("google_client_secret", r"\bGOCSPX-[0-9A-Za-z_-]{20,}", ("gocspx-",)),
    ("github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})", ("gh", "github_pat_")),
    ("gitlab_token", r"\b(?:gl(?:pat|dt|rt|ptt|ft|imt|oas|cbt|soat)-[A-Za-z0-9_-]{20,}|glagent-[A-Za-z0-9_-]{50,}|GR1348941[A-Za-z0-9_-]{20,})", ("gl", "gr1348941")),
    ("slack_token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}|\bxapp-\d-[A-Za-z0-9-]{10,}", ("xox", "xapp-")),
    ("stripe_key", r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}|\bwhsec_[A-Za-z0-9]{20,}", ("_live_", "_test_", "whsec_")),
    ("anthropic_key", r"\bsk-ant-[A-Za-z0-9_-]{20,}", ("sk-ant-",)),
    ("openai_key", r"\bsk-[A-Za-z0-9_-]{20,}", ("sk-",)),
    ("huggingface_token", r"\bhf_[A-Za-z0-9]{30,}", ("hf_",)),
    ("sendgrid_key", r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}", ("sg.",)),
    ("twilio_key", r"\bSK[0-9a-fA-F]{32}\b", ("sk",)),
    ("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b", ("npm_",)),
    ("pypi_token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}", ("pypi-",)),
    ("digitalocean_token", r"\bdo[opr]_v1_[a-f0-9]{64}\b", ("_v1_",)),
    ("shopify_token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", ("shp",)),
    ("mailgun_key", r"\bkey-[0-9a-f]{32}\b", ("key-",)),
    ("databricks_token", r"\bdapi[a-f0-9]{32}(?:-\d)?\b", ("dapi",)),
    ("groq_key", r"\bgsk_[A-Za-z0-9]{40,}", ("gsk_",)),
    ("xai_key", r"\bxai-[A-Za-z0-9]{40,}", ("xai-",)),
    ("replicate_token", r"\br8_[A-Za-z0-9]{30,}", ("r8_",)),
    ("vault_token", r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}", ("hvs.", "hvb.", "hvr.")),
    ("grafana_token", r"\bglsa_[A-Za-z0-9]{32}_[a-fA-F0-9]{8}\b|\bglc_[A-Za-z0-9+/=]{32,}", ("glsa_", "glc_")),
    ("newrelic_key", r"\bNRAK-[A-Z0-9]{27}\b", ("nrak-",)),
    ("atlassian_token", r"\bATATT3[A-Za-z0-9_=-]{60,}", ("atatt3",)),
    ("linear_key", r"\blin_api_[A-Za-z0-9]{40}\b", ("lin_api_",)),
    ("notion_token", r"\b(?:secret_[A-Za-z0-9]{43}|ntn_[A-Za-z0-9]{40,})\b", ("secret_", "ntn_")),
    ("age_key", r"\bAGE-SECRET-KEY-1[A-Z0-9]{58}\b", ("age-secret-key-",)),
    ("telegram_token", r"\b\d{8,10}:AA[A-Za-z0-9_-]{33}\b", (":aa",)),
    ("azure_client_secret", r"\b[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}", ("q~",)),
    ("aiops_key", r"\baiops-ik-[A-Za-z0-9_-]{20,}", ("aiops-ik-",)),
    # Headers and key/value forms: keep the name, replace the value.
    ("authorization", r"(?i)\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token|digest|negotiate|apikey|sso-key)?\s*(?P<secret>" + _NOT_PLACEHOLDER + r"[^\s\"',;]+)", ("authorization",)),
    ("bearer_token", r"(?i)\bbearer\s+(?P<secret>" + _NOT_PLACEHOLDER + r"[A-Za-z0-9._~+/=-]{8,})", ("bearer",)),
    ("password", r"(?i)\bmachine\s+\S+\s+login\s+\S+\s+password\s+(?P<secret>" + _NOT_PLACEHOLDER + r"\S+)", ("machine",)),
    # key = value in its three spellings: JSON-escaped quotes (a JSON document inside a JSON
    # string: \"key\": \"value\"), quotes (with escapes), bare up to a delimiter
    ("secret_value", r"(?i)" + _KEY_THEN_SEP + _VALUE, _KEY_NEEDLES),
    ("secret_value", r"(?i)" + FOREIGN_PASSWORD + _SEP + _VALUE, _FOREIGN_NEEDLES),
    ("secret_value", r"(?i)\\?\"auth\\?\"\s*:\s*\\?\"(?P<secret>" + _NOT_PLACEHOLDER + r"[^\"\\]+)\\?\"", ('"auth',)),
    ("secret_value", r"(?i)[?&](?:key|code|auth|sv_sig)=(?P<secret>" + _NOT_PLACEHOLDER + r"[^&\s#\"']+)", ("key=", "code=", "auth=", "sv_sig=")),
    # key=value URL-encoded inside another URL (?next=...%3Fpwd%3Dvalue%26...)
    ("secret_value", r"(?i)" + _KEY_START + _SECRET_KEY + r"(?:%3D|%253D)(?P<secret>" + _NOT_PLACEHOLDER
     + r"(?:(?!%26|%2526|%20|%22|%27|%3B)[^\s&\"'<>#;])+)", ("%3d", "%253d")),
    # passwords on command lines: mysql -pPASS, sshpass -p PASS, redis-cli -a PASS, curl -u user:PASS, --password PASS
    ("password", r"\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mariadb(?:-dump|-admin)?)\b"
     r"[^\n]{0,200}?\s-p(?P<secret>" + _ARG + ")", ("mysql", "mariadb")),
    ("password", r"\bsshpass\b[^\n]{0,100}?\s-p\s*(?P<secret>" + _ARG + ")", ("sshpass",)),
    ("password", r"\bredis-cli\b[^\n]{0,200}?\s-a\s+(?P<secret>" + _ARG + ")", ("redis-cli",)),
    ("password", r"\bcurl\b[^\n]{0,300}?\s(?:-u|--user)(?:\s+|=)?['\"]?[^:\s'\"]*:(?P<secret>" + _NOT_PLACEHOLDER
     + r"[^\s'\"]+)", ("curl",)),
    ("password", r"(?i)(?<![\w-])--pass(?:word|wd)?\s+(?!-)(?P<secret>" + _ARG + ")", ("--pass",)),
    # a line of key material on its own (the middle of a PEM or MIME block): 60-76 base64
    # characters with upper and lower case and digits, nothing else of the word around it
    ("key_material", r"(?<![A-Za-z0-9+/=])(?=[A-Za-z0-9+/]{60})(?=[A-Za-z0-9+/]{0,75}[A-Z])(?=[A-Za-z0-9+/]{0,75}[a-z])"
     r"(?=[A-Za-z0-9+/]{0,75}[0-9])(?P<secret>[A-Za-z0-9+/]{60,76}={0,2})(?![A-Za-z0-9+/=])", ()),
]

PII_RULES: list[Rule] = [
    ("email", r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b", ("@",)),
    ("ipv4", r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.])", (".",)),
    ("ipv6", r"(?i)(?=[0-9a-f]{0,4}:)(?<![0-9a-f:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){1,6}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,5})?)(?![0-9a-f:])", (":",)),
]


def compile_rules(rules: list[Rule]) -> list[tuple[str, re.Pattern[str], tuple[str, ...]]]:
    return [(kind, re.compile(pattern), needles) for kind, pattern, needles in rules]
