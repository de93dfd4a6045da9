// Package twofactor is two-factor sign-in: a TOTP secret per person,
// confirmed with a first code, and ten single-use recovery codes. The
// secret is sealed with a key the database does not hold; codes are
// checked within one time step either side, and a step once accepted is
// never accepted again for that person.
package twofactor

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/mail"
)

// Period is a TOTP time step.
const Period = 30

// RecoveryCodes is how many recovery codes an enrolment gives.
const RecoveryCodes = 10

// Record is what the database keeps of a person's second factor.
type Record struct {
	UserID    int64
	Sealed    []byte // the secret, sealed (seal)
	EnabledAt time.Time
	LastStep  int64
}

// Enabled reports whether enrolment was confirmed.
func (r Record) Enabled() bool { return !r.EnabledAt.IsZero() }

// Store keeps second factors. Each method is one statement or transaction.
type Store interface {
	// Get is userID's record (NotFound when none).
	Get(ctx context.Context, userID int64) (Record, error)
	// Begin keeps a new, unconfirmed secret for userID, replacing an
	// unconfirmed one; Conflict when one is confirmed already.
	Begin(ctx context.Context, userID int64, sealed []byte, at time.Time) error
	// Enable confirms userID's secret sealed at step, replaces their
	// recovery codes with hashes, and ends every session of theirs but
	// keep, in one transaction; Conflict when the secret is not sealed
	// (enrolled meanwhile, or begun again elsewhere).
	Enable(ctx context.Context, userID int64, sealed []byte, step int64, hashes [][]byte, keep int64, at time.Time) error
	// UseStep accepts step for userID unless it, or a later one, was
	// accepted before; it reports whether it did.
	UseStep(ctx context.Context, userID, step int64) (bool, error)
	// UseRecovery deletes userID's recovery code hashed h, reporting
	// whether there was one.
	UseRecovery(ctx context.Context, userID int64, h []byte) (bool, error)
	// Remaining is how many recovery codes userID has left.
	Remaining(ctx context.Context, userID int64) (int, error)
	// Disable removes userID's second factor and recovery codes and queues
	// notice, in one transaction.
	Disable(ctx context.Context, userID int64, notice Notice, at time.Time) error
}

// Notice is the email a change sends.
type Notice = mail.Outgoing

// Service enrols, checks and removes second factors.
type Service struct {
	store Store
	key   []byte
	clock clock.Clock
}

// NewService seals secrets with a key derived from secret (the app's
// session secret, kept in the data folder, not the database).
func NewService(store Store, secret []byte, clk clock.Clock) *Service {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("usher two-factor secret"))
	return &Service{store: store, key: m.Sum(nil), clock: clk}
}

// Enrolment is a secret waiting for its first code, as the page shows it.
type Enrolment struct {
	Secret  string // base32, as typed into an app
	Grouped string // the secret in groups of four, for typing
	URL     string // otpauth://…
	QR      string // a data: URI of a PNG of URL
}

// ErrWrongCode is the answer for a code that does not work.
var ErrWrongCode = errs.FieldT("code", "twofactor.err.wrong_code")

var (
	errEnabled    = errs.T(errs.Conflict, "twofactor.err.already_on")
	errNotEnabled = errs.T(errs.Conflict, "twofactor.err.not_on")
)

// Begin makes a new secret for the person with email, in an account
// called issuer, and keeps it unconfirmed.
func (s *Service) Begin(ctx context.Context, userID int64, issuer, email string) (Enrolment, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: email, Period: Period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: rand.Reader})
	if err != nil {
		return Enrolment{}, errs.Wrap(err, "making a two-factor secret")
	}
	sealed, err := s.seal(userID, key.Secret())
	if err != nil {
		return Enrolment{}, err
	}
	if err := s.store.Begin(ctx, userID, sealed, s.clock.Now()); err != nil {
		return Enrolment{}, err
	}
	return enrolment(key)
}

// Pending is userID's unconfirmed secret, for issuer and email (NotFound
// when there is none; Conflict when it is confirmed).
func (s *Service) Pending(ctx context.Context, userID int64, issuer, email string) (Enrolment, error) {
	r, err := s.store.Get(ctx, userID)
	if err != nil {
		return Enrolment{}, err
	}
	if r.Enabled() {
		return Enrolment{}, errEnabled
	}
	secret, err := s.open(userID, r.Sealed)
	if err != nil {
		return Enrolment{}, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: email, Period: Period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Secret: secretBytes(secret)})
	if err != nil {
		return Enrolment{}, errs.Wrap(err, "reading a two-factor secret")
	}
	return enrolment(key)
}

func secretBytes(s string) []byte {
	b, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	return b
}

func enrolment(key *otp.Key) (Enrolment, error) {
	img, err := key.Image(240, 240)
	if err != nil {
		return Enrolment{}, errs.Wrap(err, "drawing a QR code")
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, errs.Wrap(err, "drawing a QR code")
	}
	secret := key.Secret()
	var groups []string
	for i := 0; i < len(secret); i += 4 {
		groups = append(groups, secret[i:min(i+4, len(secret))])
	}
	return Enrolment{Secret: secret, Grouped: strings.Join(groups, " "), URL: key.URL(),
		QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// Enabled reports whether userID signs in with a second factor.
func (s *Service) Enabled(ctx context.Context, userID int64) (bool, error) {
	r, err := s.store.Get(ctx, userID)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	return r.Enabled(), err
}

// Remaining is how many recovery codes userID has left.
func (s *Service) Remaining(ctx context.Context, userID int64) (int, error) {
	return s.store.Remaining(ctx, userID)
}

// Confirm turns on userID's second factor with the first code from their
// app, ends every session of theirs but keep, and returns the recovery
// codes, which are not kept in the clear anywhere.
func (s *Service) Confirm(ctx context.Context, userID, keep int64, code string) ([]string, error) {
	r, err := s.store.Get(ctx, userID)
	if errs.Is(err, errs.NotFound) {
		return nil, errs.T(errs.Conflict, "twofactor.err.start_again")
	}
	if err != nil {
		return nil, err
	}
	if r.Enabled() {
		return nil, errEnabled
	}
	secret, err := s.open(userID, r.Sealed)
	if err != nil {
		return nil, err
	}
	step, ok := s.match(secret, code)
	if !ok {
		return nil, ErrWrongCode
	}
	codes := make([]string, RecoveryCodes)
	hashes := make([][]byte, RecoveryCodes)
	for i := range codes {
		codes[i] = newRecoveryCode()
		hashes[i] = hashRecovery(codes[i])
	}
	if err := s.store.Enable(ctx, userID, r.Sealed, step, hashes, keep, s.clock.Now()); err != nil {
		return nil, err
	}
	return codes, nil
}

// Check accepts a code from userID's app, once per time step, or one of
// their recovery codes, once. ErrWrongCode otherwise.
func (s *Service) Check(ctx context.Context, userID int64, code string) error {
	_, err := s.Verify(ctx, userID, code)
	return err
}

// The second factors Verify tells apart.
const (
	FactorCode     = "code"     // from the app
	FactorRecovery = "recovery" // a recovery code
)

// Verify is Check, which also says which factor the code was
// (FactorCode, FactorRecovery).
func (s *Service) Verify(ctx context.Context, userID int64, code string) (string, error) {
	r, err := s.store.Get(ctx, userID)
	if errs.Is(err, errs.NotFound) {
		return "", errNotEnabled
	}
	if err != nil {
		return "", err
	}
	if !r.Enabled() {
		return "", errNotEnabled
	}
	code = normalise(code)
	if isTOTP(code) {
		secret, err := s.open(userID, r.Sealed)
		if err != nil {
			return "", err
		}
		step, ok := s.match(secret, code)
		if !ok {
			return "", ErrWrongCode
		}
		used, err := s.store.UseStep(ctx, userID, step)
		if err != nil {
			return "", err
		}
		if !used {
			return "", errs.FieldT("code", "twofactor.err.code_used")
		}
		return FactorCode, nil
	}
	if len(code) != recoveryLen {
		return "", ErrWrongCode
	}
	ok, err := s.store.UseRecovery(ctx, userID, hashRecovery(code))
	if err != nil {
		return "", err
	}
	if !ok {
		return "", ErrWrongCode
	}
	return FactorRecovery, nil
}

// Disable checks code (as Check) and then removes userID's second factor,
// queueing notice.
func (s *Service) Disable(ctx context.Context, userID int64, code string, notice Notice) error {
	if err := s.Check(ctx, userID, code); err != nil {
		return err
	}
	return s.store.Disable(ctx, userID, notice, s.clock.Now())
}

// match finds the time step, at most one either side of now, whose code
// is code.
func (s *Service) match(secret, code string) (int64, bool) {
	code = normalise(code)
	if !isTOTP(code) {
		return 0, false
	}
	now := s.clock.Now().Unix() / Period
	for _, step := range []int64{now - 1, now, now + 1} {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*Period, 0), totp.ValidateOpts{Period: Period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// normalise drops what people type between groups, and case.
func normalise(code string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\t':
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, code)
}

func isTOTP(code string) bool {
	if len(code) != 6 {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// recoveryLen is a recovery code's length: 12 base32 letters, 60 bits.
const recoveryLen = 12

var recoveryAlphabet = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newRecoveryCode is "abcd-efgh-ijkl": 60 random bits.
func newRecoveryCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	s := recoveryAlphabet.EncodeToString(b)[:recoveryLen]
	return s[:4] + "-" + s[4:8] + "-" + s[8:]
}

// hashRecovery is what the database keeps of a recovery code. The codes
// are random and long, so one round of SHA-256 is enough.
func hashRecovery(code string) []byte {
	sum := sha256.Sum256([]byte("usher recovery code\x00" + normalise(code)))
	return sum[:]
}

// seal encrypts a secret for userID (AES-256-GCM, the user id bound in,
// so a sealed secret copied onto another row does not open).
func (s *Service) seal(userID int64, secret string) ([]byte, error) {
	g, err := s.gcm()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, g.NonceSize())
	_, _ = rand.Read(nonce)
	return g.Seal(nonce, nonce, []byte(secret), userAD(userID)), nil
}

func (s *Service) open(userID int64, sealed []byte) (string, error) {
	g, err := s.gcm()
	if err != nil {
		return "", err
	}
	if len(sealed) < g.NonceSize() {
		return "", errors.New("opening a two-factor secret: too short")
	}
	plain, err := g.Open(nil, sealed[:g.NonceSize()], sealed[g.NonceSize():], userAD(userID))
	if err != nil {
		// The session secret changed since enrolment.
		return "", errs.Wrap(err, "opening a two-factor secret")
	}
	return string(plain), nil
}

func (s *Service) gcm() (cipher.AEAD, error) {
	b, err := aes.NewCipher(s.key)
	if err != nil {
		return nil, errs.Wrap(err, "two-factor key")
	}
	g, err := cipher.NewGCM(b)
	return g, errs.Wrap(err, "two-factor key")
}

func userAD(id int64) []byte { return binary.BigEndian.AppendUint64([]byte("usher totp "), uint64(id)) }
