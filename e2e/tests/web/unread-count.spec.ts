import { expect, test } from "@playwright/test";
import { sendMail } from "../../support/mail.js";
import { useOwnSandbox } from "../../support/own-sandbox.js";
import { messageRow, openViewer } from "../../support/viewer.js";

// A sandbox of its own: the test reads exact totals, which other tests' mail would change.
const own = useOwnSandbox();

test("the title and All mail count a message sent to several inboxes once", async ({ page }) => {
  const port = own.sandbox.smtpPort;
  await sendMail(
    {
      from: "app@example.test",
      to: ["ann@example.test", "bob@example.test"],
      cc: "cat@example.test",
      subject: "Team",
    },
    port,
  );
  await sendMail({ from: "app@example.test", to: "ann@example.test", subject: "Only Ann" }, port);

  await openViewer(page, own.sandbox.url);
  // Ann's inbox holds both unread, Bob's and Cat's one each: four by the inboxes, two messages.
  await expect(page).toHaveTitle("(2) Mailnest");
  const allMail = page.getByRole("navigation", { name: "Inboxes" }).getByRole("link", { name: /All mail/ });
  await expect(allMail).toContainText("2 unread");

  // Read "Only Ann": one message stays unread, though three inboxes still list it unread.
  await messageRow(page, "Only Ann").click();
  await expect(page).toHaveTitle("(1) Mailnest");
  await expect(allMail).toContainText("1 unread");
});
