#!/usr/bin/env bash
# Mints an ES256 JWT for local development with openssl alone, and writes the JWKS that
# verifies it, so the service can run with AUTH_MODE=jwt and no identity provider.
#
#   scripts/dev-token.sh [-s SUB] [-o ORG] [-r ROLES] [-p PROVIDER_ID] [-t SECONDS]
#
#   -s  the user (sub); default dev-user; "" for none (a provider's token)
#   -o  the organization, a slug or a UUID; default "default" (the default organization)
#   -r  comma-separated roles; default operator
#   -p  provider_id, for a provider's token
#   -t  lifetime in seconds; default 3600
#
# The key pair is made once in $DEV_AUTH_DIR (default target/dev-auth): es256.pem (private,
# never commit it) and jwks.json (its public key, kid "dev-es256"). The token goes to
# stdout; the variables to start the service with go to stderr. AUTH_ISSUER,
# AUTH_AUDIENCE, AUTH_ORG_CLAIM and AUTH_ROLES_CLAIM are read from the environment when
# set, so the token matches the service's configuration.
#
#   TOKEN=$(scripts/dev-token.sh -r supervisor)
#   curl -H "Authorization: Bearer $TOKEN" http://localhost:8000/api/tickets
set -euo pipefail
cd "$(dirname "$0")/.."

sub=dev-user org=default roles=operator provider='' ttl=3600
while getopts 's:o:r:p:t:h' opt; do
  case $opt in
    s) sub=$OPTARG ;;
    o) org=$OPTARG ;;
    r) roles=$OPTARG ;;
    p) provider=$OPTARG ;;
    t) ttl=$OPTARG ;;
    *) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done

dir=${DEV_AUTH_DIR:-target/dev-auth}
issuer=${AUTH_ISSUER:-http://localhost:8000/dev-issuer}
audience=${AUTH_AUDIENCE:-ticket-service}
org_claim=${AUTH_ORG_CLAIM:-org_id}
roles_claim=${AUTH_ROLES_CLAIM:-roles}
kid=dev-es256

b64url() { basenc --base64url -w0 | tr -d '='; }
# Hex digits to bytes, without xxd.
unhex() { printf '%b' "$(sed 's/../\\x&/g')"; }
# A JSON string (the values here are names, slugs and URLs: quotes and backslashes escaped).
json_string() { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"; }

mkdir -p "$dir"
key=$dir/es256.pem
if [ ! -s "$key" ]; then
  (umask 077 && openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key")
fi
# The public point: the last 64 bytes of the SubjectPublicKeyInfo, x then y.
point=$(openssl pkey -in "$key" -pubout -outform DER | tail -c 64 | od -An -v -tx1 | tr -d ' \n')
printf '{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","kid":"%s","x":"%s","y":"%s"}]}\n' \
  "$kid" "$(printf '%s' "${point:0:64}" | unhex | b64url)" \
  "$(printf '%s' "${point:64:64}" | unhex | b64url)" >"$dir/jwks.json"

now=$(date +%s)
claims="\"iss\":$(json_string "$issuer"),\"aud\":$(json_string "$audience"),\"iat\":$now,\"exp\":$((now + ttl))"
claims+=",$(json_string "$org_claim"):$(json_string "$org")"
role_list=''
IFS=',' read -ra role_names <<<"$roles"
for role in "${role_names[@]}"; do
  role_list+="${role_list:+,}$(json_string "$role")"
done
claims+=",$(json_string "$roles_claim"):[$role_list]"
[ -n "$sub" ] && claims+=",\"sub\":$(json_string "$sub")"
[ -n "$provider" ] && claims+=",\"provider_id\":$(json_string "$provider")"

input="$(printf '{"alg":"ES256","typ":"JWT","kid":"%s"}' "$kid" | b64url).$(printf '{%s}' "$claims" | b64url)"
# openssl signs in DER (a SEQUENCE of two INTEGERs); JWS wants r and s as 32 bytes each.
signature=$(printf '%s' "$input" | openssl dgst -sha256 -sign "$key" \
  | openssl asn1parse -inform DER \
  | awk -F: '/INTEGER/ { printf "%64s", $NF }' | tr ' ' 0 | unhex | b64url)

echo "$input.$signature"
cat >&2 <<EOF
# Start the service with:
#   AUTH_MODE=jwt AUTH_JWKS_FILE=$dir/jwks.json AUTH_ISSUER=$issuer AUTH_AUDIENCE=$audience
EOF
