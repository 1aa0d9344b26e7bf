package integration_test

import (
	"context"
	"os"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"cloud.google.com/go/spanner"
	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
)

const (
	dlqBucket = "revrepl-dlq"
	gcsTopic  = "dlq-retry-events"
	gcsSub    = "dlq-retry-sub"
)

// fakeGCSWithNotifications starts a Pub/Sub fake and a GCS fake that
// publishes OBJECT_FINALIZE notifications for <bucket>/dlq/retry/ to it, as
// `gcloud storage buckets notifications create` sets up in production.
func fakeGCSWithNotifications(t *testing.T) (subscription string) {
	t.Helper()
	ps := pstest.NewServer()
	t.Cleanup(func() { ps.Close() })
	t.Setenv("PUBSUB_EMULATOR_HOST", ps.Addr)
	ctx := context.Background()
	client, err := pubsub.NewClient(ctx, "test-project")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	topic := "projects/test-project/topics/" + gcsTopic
	if _, err := client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: topic}); err != nil {
		t.Fatal(err)
	}
	subscription = "projects/test-project/subscriptions/" + gcsSub
	if _, err := client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{Name: subscription, Topic: topic}); err != nil {
		t.Fatal(err)
	}
	testenv.FakeGCSWith(t, fakestorage.Options{
		InitialObjects: []fakestorage.Object{{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: dlqBucket, Name: "README"}, Content: []byte("dlq")}},
		EventOptions: fakestorage.EventManagerOptions{
			ProjectID: "test-project", TopicName: gcsTopic, Bucket: dlqBucket, ObjectPrefix: "dlq/retry/",
			NotifyOn: fakestorage.EventNotificationOptions{Finalize: true},
		},
	})
	return subscription
}

// TestDeadLetterQueueOnGCSWithNotifications runs the retry flow with the
// DLQ on (fake) GCS and retries triggered by storage notifications through
// (fake) Pub/Sub: the full listing is set to 10 minutes, so only a
// notification can bring the child back within the test.
func TestDeadLetterQueueOnGCSWithNotifications(t *testing.T) {
	f := newFamily(t, "gfam")
	admin, client, ctx := f.admin, f.client, context.Background()
	subscription := fakeGCSWithNotifications(t)
	root := "gs://" + dlqBucket + "/dlq/"
	values := f.values(20 * time.Second)
	values["deadLetterQueueDirectory"] = root
	values["dlqGcsPubSubSubscription"] = subscription
	writes := make(chan error, 1)
	go func() {
		time.Sleep(2 * time.Second)
		_, err := client.Apply(ctx, []*spanner.Mutation{spanner.Insert("Children", []string{"Id", "ParentId", "Label"}, []any{int64(1), int64(10), "ok"})})
		if err == nil {
			time.Sleep(5 * time.Second)
			_, err = client.Apply(ctx, []*spanner.Mutation{spanner.Insert("Parents", []string{"Id", "Name"}, []any{int64(10), "p"})})
		}
		writes <- err
	}()
	testrun.Pipeline(t, ctx, values, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200, RetryPoll: 10 * time.Minute})
	if err := <-writes; err != nil {
		t.Fatal(err)
	}
	expectRows(t, admin, "SELECT Id FROM Parents ORDER BY Id", "10")
	expectRows(t, admin, "SELECT Id FROM Children ORDER BY Id", "1")
	files, err := dlq.List(ctx, root, dlq.RetryDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 0 {
		t.Errorf("retry/ on GCS still holds %v", files)
	}
	if os.Getenv("STORAGE_EMULATOR_HOST") == "" {
		t.Fatal("the test must run against the GCS fake")
	}
}
