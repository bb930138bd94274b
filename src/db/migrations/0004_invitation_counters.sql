CREATE TABLE "invitation_counters" (
	"workspace_id" uuid NOT NULL,
	"inviter_user_id" uuid NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"created" integer NOT NULL,
	CONSTRAINT "invitation_counters_workspace_id_inviter_user_id_minute_pk" PRIMARY KEY("workspace_id","inviter_user_id","minute")
);
--> statement-breakpoint
ALTER TABLE "invitation_counters" ADD CONSTRAINT "invitation_counters_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "invitation_counters_minute_idx" ON "invitation_counters" USING btree ("workspace_id","minute");--> statement-breakpoint
-- The last hour's invitations, so the hourly caps hold across the upgrade.
INSERT INTO "invitation_counters" ("workspace_id", "inviter_user_id", "minute", "created")
SELECT "workspace_id", "inviter_user_id", date_trunc('minute', "created_at"), count(*)::int
FROM "invitations"
WHERE "created_at" > now() - interval '1 hour' AND "inviter_user_id" IS NOT NULL
GROUP BY 1, 2, 3;
