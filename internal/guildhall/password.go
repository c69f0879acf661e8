package guildhall

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordHasher hashes passwords with argon2id into PHC strings. It bounds
// how many hashes run at once, since each takes Memory KiB.
type PasswordHasher struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	slots   chan struct{}
}

// NewPasswordHasher returns a hasher with the given cost; concurrency bounds
// simultaneous hashes.
func NewPasswordHasher(memoryKiB, time uint32, threads uint8, concurrency int) *PasswordHasher {
	if concurrency < 1 {
		concurrency = 1
	}
	return &PasswordHasher{Memory: memoryKiB, Time: time, Threads: threads, slots: make(chan struct{}, concurrency)}
}

// DefaultPasswordHasher uses the production cost (64 MiB, t=3, p=4).
func DefaultPasswordHasher() *PasswordHasher { return NewPasswordHasher(64*1024, 3, 4, 4) }

// TestPasswordHasher is cheap, for tests only.
func TestPasswordHasher() *PasswordHasher { return NewPasswordHasher(64, 1, 1, 8) }

// Hash returns the PHC string of password with a fresh salt.
func (h *PasswordHasher) Hash(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	h.slots <- struct{}{}
	key := argon2.IDKey([]byte(password), salt, h.Time, h.Memory, h.Threads, 32)
	<-h.slots
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.Memory, h.Time, h.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches the PHC string encoded, comparing
// in constant time with the parameters stored in the string.
func (h *PasswordHasher) Verify(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("password hash: unknown format")
	}
	var version int
	var memory, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("password hash: unknown version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil {
		return false, fmt.Errorf("password hash: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("password hash salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("password hash key: %w", err)
	}
	h.slots <- struct{}{}
	got := argon2.IDKey([]byte(password), salt, time, memory, threads, uint32(len(want)))
	<-h.slots
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
