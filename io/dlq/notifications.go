package dlq

import (
	"context"
	"fmt"
	"strings"

	pubsub "cloud.google.com/go/pubsub/v2/apiv1"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
)

// Notifications pulls the Cloud Storage notifications (OBJECT_FINALIZE on
// the retry/ directory, delivered through Pub/Sub) that announce new retry
// files, so retries start within seconds instead of at the next listing.
type Notifications struct {
	Subscription string // projects/<p>/subscriptions/<s>
	client       *pubsub.SubscriptionAdminClient
}

// OpenNotifications connects to Pub/Sub (PUBSUB_EMULATOR_HOST is honoured).
func OpenNotifications(ctx context.Context, subscription string) (*Notifications, error) {
	c, err := pubsub.NewSubscriptionAdminClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("dlqGcsPubSubSubscription %s: %w", subscription, err)
	}
	return &Notifications{Subscription: subscription, client: c}, nil
}

// Close releases the connection.
func (n *Notifications) Close() error { return n.client.Close() }

// Pull returns the retry files announced since the last call and
// acknowledges every message it received, relevant or not. A file whose
// message is acknowledged but whose records never reach the pipeline (a
// crash in between) is still in retry/, and the periodic listing finds it.
func (n *Notifications) Pull(ctx context.Context, root string) ([]string, error) {
	resp, err := n.client.Pull(ctx, &pubsubpb.PullRequest{Subscription: n.Subscription, MaxMessages: 1000})
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", n.Subscription, err)
	}
	var files, acks []string
	for _, m := range resp.GetReceivedMessages() {
		acks = append(acks, m.GetAckId())
		if f, ok := RetryFileFromNotification(m.GetMessage().GetAttributes(), root); ok {
			files = append(files, f)
		}
	}
	if len(acks) > 0 {
		if err := n.client.Acknowledge(ctx, &pubsubpb.AcknowledgeRequest{Subscription: n.Subscription, AckIds: acks}); err != nil {
			return files, fmt.Errorf("acknowledging %d messages of %s: %w", len(acks), n.Subscription, err)
		}
	}
	return files, nil
}

// RetryFileFromNotification returns the gs:// path of a finished object
// under root's retry/ directory, or false for every other notification:
// other event types, other directories, temporary files and folder
// placeholders.
func RetryFileFromNotification(attrs map[string]string, root string) (string, bool) {
	if attrs["eventType"] != "OBJECT_FINALIZE" || attrs["bucketId"] == "" {
		return "", false
	}
	obj := attrs["objectId"]
	if obj == "" || strings.HasSuffix(obj, "/") {
		return "", false
	}
	path := "gs://" + attrs["bucketId"] + "/" + obj
	// Only files under <root>/retry/: that leaves out severe/, the skip and
	// filter directories and the Java template's tmp_* directories, which
	// all sit beside retry/.
	retry := strings.TrimSuffix(join(root, RetryDir), "/") + "/"
	if !strings.HasPrefix(path, retry) || !complete(path) {
		return "", false
	}
	return path, true
}
