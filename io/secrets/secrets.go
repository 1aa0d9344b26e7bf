// Package secrets reads shard passwords from Secret Manager. Passwords are
// fetched where they are used (at launch for the checks, and in each
// worker's Setup), so they never travel inside the pipeline graph.
package secrets

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"

	secretmanager "cloud.google.com/go/secretmanager/apiv1"
	"cloud.google.com/go/secretmanager/apiv1/secretmanagerpb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// EmulatorHostEnv names the variable that points the client at a local,
// unauthenticated Secret Manager (host:port), as SPANNER_EMULATOR_HOST does
// for Spanner. Tests use it to reach a fake.
const EmulatorHostEnv = "SECRET_MANAGER_EMULATOR_HOST"

// uriPattern is projects/*/secrets/*[/versions/*], a trailing slash allowed.
var uriPattern = regexp.MustCompile(`^projects/[^/]+/secrets/[^/]+(/versions/[^/]+)?/?$`)

// VersionName checks a secretManagerUri and returns the secret version to
// access: versions/latest is appended when the URI names no version.
func VersionName(uri string) (string, error) {
	if !uriPattern.MatchString(uri) {
		return "", fmt.Errorf("secretManagerUri %q does not match projects/{project}/secrets/{secret}[/versions/{version}]", uri)
	}
	name := strings.TrimSuffix(uri, "/")
	if !strings.Contains(name, "/versions/") {
		name += "/versions/latest"
	}
	return name, nil
}

// Accessor returns the payload of a secret version.
type Accessor interface {
	Access(ctx context.Context, versionName string) ([]byte, error)
}

// Client is an Accessor backed by the Secret Manager API.
type Client struct {
	c *secretmanager.Client
}

// NewClient connects to Secret Manager with the default credentials, or to
// the unauthenticated endpoint named by SECRET_MANAGER_EMULATOR_HOST.
func NewClient(ctx context.Context) (*Client, error) {
	var opts []option.ClientOption
	if host := os.Getenv(EmulatorHostEnv); host != "" {
		opts = append(opts, option.WithEndpoint(host), option.WithoutAuthentication(),
			option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	}
	c, err := secretmanager.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to Secret Manager: %w", err)
	}
	return &Client{c: c}, nil
}

// Access implements Accessor.
func (c *Client) Access(ctx context.Context, versionName string) ([]byte, error) {
	resp, err := c.c.AccessSecretVersion(ctx, &secretmanagerpb.AccessSecretVersionRequest{Name: versionName})
	if err != nil {
		return nil, fmt.Errorf("reading secret %s: %s%w", versionName, hint(err), err)
	}
	return resp.GetPayload().GetData(), nil
}

// hint says what usually causes the two failures people hit first.
func hint(err error) string {
	switch status.Code(err) {
	case codes.NotFound:
		return "no such secret or version; "
	case codes.PermissionDenied:
		return "permission denied (the job's service account needs roles/secretmanager.secretAccessor on it); "
	}
	return ""
}

// Close releases the connection.
func (c *Client) Close() error { return c.c.Close() }
