// Package webhooks tells other programs what happens in Usher: an account
// administrator adds an endpoint (a URL and the events it wants), and each
// such event is queued for it in the transaction of the change itself (the
// store does it where it writes the activity row), then delivered in the
// background, signed as the Standard Webhooks convention has it, retried
// with backoff for a day, at least once: a receiver tells repeats apart by
// the webhook-id.
package webhooks

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/usherhq/usher/internal/activity"
	"github.com/usherhq/usher/internal/clock"
	"github.com/usherhq/usher/internal/errs"
	"github.com/usherhq/usher/internal/spaces"
)

// Event names what a webhook tells.
type Event string

const (
	InvitationSent      Event = "invitation.sent"
	InvitationResent    Event = "invitation.resent"
	InvitationAccepted  Event = "invitation.accepted"
	InvitationExpired   Event = "invitation.expired"
	InvitationCancelled Event = "invitation.cancelled"
	UserUpdated         Event = "user.updated"
	UserDeactivated     Event = "user.deactivated"
	UserActivated       Event = "user.activated"
	UserDeleted         Event = "user.deleted"
)

// Events are every event, in the order the page offers them.
var Events = []Event{InvitationSent, InvitationResent, InvitationAccepted, InvitationExpired, InvitationCancelled,
	UserUpdated, UserDeactivated, UserActivated, UserDeleted}

// EventOf is the event an activity row of kind k tells, if any.
func EventOf(k activity.Kind) (Event, bool) {
	switch k {
	case activity.InvitationSent, activity.InvitationRenewed: // a new link is a new invitation sent
		return InvitationSent, true
	case activity.InvitationResent, activity.InvitationReminded:
		return InvitationResent, true
	case activity.InvitationAccepted:
		return InvitationAccepted, true
	case activity.InvitationExpired:
		return InvitationExpired, true
	case activity.InvitationCancelled:
		return InvitationCancelled, true
	case activity.UserEdited, activity.UserRolesChanged:
		return UserUpdated, true
	case activity.UserDeactivated:
		return UserDeactivated, true
	case activity.UserActivated:
		return UserActivated, true
	case activity.UserDeleted:
		return UserDeleted, true
	}
	return "", false
}

// Endpoint is where some events go.
type Endpoint struct {
	ID        int64
	URL       string
	Events    []Event
	CreatedAt time.Time
	// PausedAt is when deliveries stopped (the receiver said 410 Gone);
	// zero: they go. PausedWhy says why.
	PausedAt  time.Time
	PausedWhy string
	// Counts of its deliveries, for the list.
	Queued, Failed int
}

// Wants reports whether e takes event ev.
func (e Endpoint) Wants(ev Event) bool { return slices.Contains(e.Events, ev) }

// Delivery is one event on its way to one endpoint.
type Delivery struct {
	ID         int64
	EndpointID int64
	EventID    string // the webhook-id: the same on every attempt
	Event      Event
	Payload    []byte
	State      string // "queued", "sent", "failed"
	Attempts   int
	CreatedAt  time.Time
	LastAt     time.Time // the last attempt; zero: none yet
	LastStatus int       // its HTTP status; 0: no answer
	LastError  string
	NextAt     time.Time // the next attempt, while queued
	GiveUpAt   time.Time // no attempt after this
}

// Store keeps endpoints and deliveries (db.WebhookStore).
type Store interface {
	CreateEndpoint(ctx context.Context, e Endpoint, secret []byte, by int64) (Endpoint, error)
	Endpoints(ctx context.Context) ([]Endpoint, error)
	Endpoint(ctx context.Context, id int64) (Endpoint, error)
	DeleteEndpoint(ctx context.Context, id int64) error
	Resume(ctx context.Context, id int64, at time.Time) error
	Deliveries(ctx context.Context, endpointID int64, limit int) ([]Delivery, error)
	SendAgain(ctx context.Context, endpointID, deliveryID int64, at, giveUpAt time.Time) error

	// Claim takes up to n deliveries due at now, of endpoints not paused,
	// and holds them until lease (another claim skips them meanwhile; one
	// cut off by a crash is due again then). With each, its endpoint's URL
	// and sealed secret.
	Claim(ctx context.Context, now, lease time.Time, n int) ([]Claimed, error)
	// Record stores an attempt's outcome; pause, when set, pauses the
	// endpoint too, saying why.
	Record(ctx context.Context, d Delivery, pause string) error
	// NextDue is when the next queued delivery of an endpoint not paused
	// is due (zero: none).
	NextDue(ctx context.Context) (time.Time, error)
}

// Claimed is a delivery to attempt, with where it goes.
type Claimed struct {
	Delivery
	URL    string
	Secret []byte // sealed (Keys)
}

// Service is what the Settings > Webhooks pages do.
type Service struct {
	store Store
	keys  *Keys
	clock clock.Clock
	// AllowPrivate lets endpoints be at loopback, private and link-local
	// addresses (USHER_WEBHOOK_ALLOW_PRIVATE).
	AllowPrivate bool
}

func New(store Store, keys *Keys, c clock.Clock) *Service {
	return &Service{store: store, keys: keys, clock: c}
}

// Keys seals endpoints' secrets with a key derived from the server's own
// secret, so that a copy of the database alone signs nothing.
type Keys struct{ aead cipher.AEAD }

// NewKeys derives the sealing key from the server's secret.
func NewKeys(secret []byte) *Keys {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("usher webhook secrets"))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key is always a valid AES key
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return &Keys{aead: aead}
}

func (k *Keys) seal(secret []byte) []byte {
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return k.aead.Seal(nonce, nonce, secret, nil)
}

// Open is a sealed secret as it was.
func (k *Keys) Open(sealed []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n {
		return nil, errs.Wrap(errs.T(errs.Internal, "error.internal"), "opening a webhook secret")
	}
	out, err := k.aead.Open(nil, sealed[:n], sealed[n:], nil)
	return out, errs.Wrap(err, "opening a webhook secret (was the server's secret changed?)")
}

// SecretPrefix starts a secret as Standard Webhooks writes it.
const SecretPrefix = "whsec_"

// CreateInput is the form of a new endpoint.
type CreateInput struct {
	URL    string
	Events []Event
}

// Create adds an endpoint and gives its signing secret, shown this once.
// Only account administrators add endpoints: the events are the whole
// account's.
func (s *Service) Create(ctx context.Context, access *spaces.Access, userID int64, in CreateInput) (Endpoint, string, error) {
	if !access.AccountAdmin {
		return Endpoint{}, "", errs.T(errs.Forbidden, "web.account_admins_only")
	}
	u, err := s.checkURL(strings.TrimSpace(in.URL))
	if err != nil {
		return Endpoint{}, "", err
	}
	var events []Event
	for _, ev := range Events {
		if slices.Contains(in.Events, ev) {
			events = append(events, ev)
		}
	}
	if len(events) == 0 || len(events) != len(uniq(in.Events)) {
		return Endpoint{}, "", errs.FieldT("events", "webhooks.err.events")
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	e := Endpoint{URL: u, Events: events, CreatedAt: s.clock.Now()}
	e, err = s.store.CreateEndpoint(ctx, e, s.keys.seal(raw), userID)
	return e, SecretPrefix + base64.StdEncoding.EncodeToString(raw), err
}

func uniq(in []Event) []Event {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// checkURL is raw as an endpoint's URL: http or https, with a host, and
// unless private addresses are allowed, not one of them written out
// (names are checked again at each connection, where they resolve).
func (s *Service) checkURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(raw) > 2000 {
		return "", errs.FieldT("url", "webhooks.err.url")
	}
	if !s.AllowPrivate {
		host := u.Hostname()
		if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
			return "", errs.FieldT("url", "webhooks.err.private", "Host", host)
		}
		if ip := net.ParseIP(host); ip != nil && Private(ip) {
			return "", errs.FieldT("url", "webhooks.err.private", "Host", host)
		}
	}
	return u.String(), nil
}

// Private reports whether ip is loopback, private, link-local,
// unspecified or multicast: what an endpoint may not reach unless the
// operator allows it.
func Private(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() ||
		// 100.64.0.0/10 (carrier-grade NAT) and the IPv4-mapped forms of the above.
		(ip.To4() != nil && ip.To4()[0] == 100 && ip.To4()[1]&0xc0 == 64)
}

func (s *Service) admin(access *spaces.Access) error {
	if !access.AccountAdmin {
		return errs.T(errs.Forbidden, "web.account_admins_only")
	}
	return nil
}

// Endpoints lists every endpoint.
func (s *Service) Endpoints(ctx context.Context, access *spaces.Access) ([]Endpoint, error) {
	if err := s.admin(access); err != nil {
		return nil, err
	}
	return s.store.Endpoints(ctx)
}

// Endpoint is one endpoint with its newest deliveries.
func (s *Service) Endpoint(ctx context.Context, access *spaces.Access, id int64) (Endpoint, []Delivery, error) {
	if err := s.admin(access); err != nil {
		return Endpoint{}, nil, err
	}
	e, err := s.store.Endpoint(ctx, id)
	if err != nil {
		return e, nil, err
	}
	ds, err := s.store.Deliveries(ctx, id, 100)
	return e, ds, err
}

// Delete removes an endpoint and what is queued for it.
func (s *Service) Delete(ctx context.Context, access *spaces.Access, id int64) (Endpoint, error) {
	if err := s.admin(access); err != nil {
		return Endpoint{}, err
	}
	e, err := s.store.Endpoint(ctx, id)
	if err != nil {
		return e, err
	}
	return e, s.store.DeleteEndpoint(ctx, id)
}

// Resume lets a paused endpoint's deliveries go again.
func (s *Service) Resume(ctx context.Context, access *spaces.Access, id int64) (Endpoint, error) {
	if err := s.admin(access); err != nil {
		return Endpoint{}, err
	}
	e, err := s.store.Endpoint(ctx, id)
	if err != nil {
		return e, err
	}
	return e, s.store.Resume(ctx, id, s.clock.Now())
}

// SendAgain queues delivery id of endpoint endpointID again, now, with a
// day of retries before it.
func (s *Service) SendAgain(ctx context.Context, access *spaces.Access, endpointID, id int64) error {
	if err := s.admin(access); err != nil {
		return err
	}
	now := s.clock.Now()
	return s.store.SendAgain(ctx, endpointID, id, now, now.Add(RetryFor))
}
