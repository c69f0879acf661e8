package mail

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// UnsubscribeToken signs "account id, topic" with key, so the link in an
// email turns that topic off for that person without a sign-in, and
// nobody can forge one for someone else. An empty topic means all email.
func UnsubscribeToken(key []byte, accountID, topic string) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(accountID + "|" + topic))
	return payload + "." + sign(key, payload)
}

// ParseUnsubscribeToken checks token's signature and returns what it names.
func ParseUnsubscribeToken(key []byte, token string) (accountID, topic string, ok bool) {
	payload, sig, found := strings.Cut(token, ".")
	if !found || !hmac.Equal([]byte(sig), []byte(sign(key, payload))) {
		return "", "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return "", "", false
	}
	accountID, topic, found = strings.Cut(string(raw), "|")
	return accountID, topic, found
}

func sign(key []byte, payload string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("unsubscribe:" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
