import type { Command } from 'commander';
import { InvalidConfig } from '@cds/shared';
import { DiscourseRest, discourseRestOptions } from '../connectors/discourse/rest.js';
import { discourseAccount } from '../links/accounts.js';
import { ForumSetup } from '../links/forum-setup.js';
import { LinkService } from '../links/service.js';
import { listCourseLinks, listUserLinks, waitsByReason } from '../store/links.js';
import type { CliContext } from './context.js';
import { print, printJson, printTable } from './output.js';

// `cds links`: the course and user links of DESIGN.md section 3b, for admins. Every change goes
// through LinkService, as the status API's do: audited under the CLI's actor, and a new link
// releases what waited for it (queued on the relay's queues, which this process shares).

const KINDS = ['course', 'user'] as const;
type Kind = (typeof KINDS)[number];

function kindOf(text: string): Kind {
  if (!(KINDS as readonly string[]).includes(text))
    throw new InvalidConfig(`say what to link: "course" or "user" (got "${text}")`);
  return text as Kind;
}

function canvasId(text: string, what: string): string {
  if (!/^\d{1,20}$/.test(text))
    throw new InvalidConfig(`${what} must be a Canvas id (digits), got "${text}"`);
  return text;
}

/** The relay's own Discourse REST client, from its settings. */
function discourseRest(ctx: CliContext): DiscourseRest {
  const options = discourseRestOptions(ctx.config);
  if (!options)
    throw new InvalidConfig(
      "looking the link up in Discourse needs the relay's Discourse settings: set DISCOURSE_URL and DISCOURSE_API_KEY as for `pnpm start`",
    );
  return new DiscourseRest(options);
}

async function service(ctx: CliContext): Promise<LinkService> {
  return new LinkService(await ctx.store(), ctx.queues());
}

export function registerLinks(program: Command, ctx: CliContext): void {
  const links = program
    .command('links')
    .description(
      'which Discourse category and group is each Canvas course, and which account is each Canvas user (DESIGN.md section 3b)',
    );

  links
    .command('list')
    .description('course links, user links, and the deliveries waiting for a link, by reason')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { db } = await ctx.store();
      const [courses, users, waits] = await Promise.all([
        listCourseLinks(db),
        listUserLinks(db),
        waitsByReason(db),
      ]);
      const waiting = new Map<string, number>();
      for (const w of waits) waiting.set(w.reason, (waiting.get(w.reason) ?? 0) + w.count);
      const byReason = [...waiting].map(([reason, count]) => ({ count, reason }));
      if (options.json) return printJson({ courses, users, waiting: byReason });
      print('Course links');
      printTable(
        courses.map((c) => ({
          course: c.course_id,
          category: `${c.category_id} ${c.category_name}`,
          group: `${c.group_id} ${c.group_name}`,
          method: c.method,
          by: c.made_by,
          at: c.created_at,
        })),
        '(no course is linked)',
      );
      print('\nUser links');
      printTable(
        users.map((u) => ({
          user: u.canvas_user_id,
          discourse: `@${u.discourse_username} (${u.discourse_user_id})`,
          method: u.method,
          by: u.made_by,
          at: u.created_at,
        })),
        '(no user is linked)',
      );
      print('\nWaiting for a link');
      printTable(byReason, '(nothing waits for a link)');
    });

  links
    .command('add')
    .description(
      'link a Canvas course to an existing Discourse category and group, or a Canvas user to a Discourse account (audited; what waited for it is sent)',
    )
    .argument('<kind>', KINDS.join(' or '))
    .argument('<canvas-id>', 'the Canvas course or user id')
    .option('--category <id>', 'course: the Discourse category id')
    .option('--group <name>', 'course: the Discourse group whose members are the course')
    .option('--discourse-user <username>', "user: the Discourse account's username")
    .action(
      async (
        kindText: string,
        idText: string,
        options: { category?: string; group?: string; discourseUser?: string },
      ) => {
        const kind = kindOf(kindText);
        if (kind === 'course') {
          const courseId = canvasId(idText, 'the course');
          if (!options.category || !/^\d{1,12}$/.test(options.category) || !options.group)
            throw new InvalidConfig(
              'a course link needs --category <Discourse category id> and --group <Discourse group name>',
            );
          const forum = await new ForumSetup(discourseRest(ctx), []).existing(
            Number(options.category),
            options.group,
          );
          const link = await (
            await service(ctx)
          ).linkCourse(
            {
              courseId,
              categoryId: forum.category.id,
              categoryName: forum.category.name,
              groupId: forum.group.id,
              groupName: forum.group.name,
              method: 'admin',
            },
            ctx.actor,
          );
          return print(
            `linked course ${link.course_id} to category ${link.category_id} "${link.category_name}" and group ${link.group_name}; what waited for it is being sent`,
          );
        }
        const canvasUserId = canvasId(idText, 'the user');
        if (!options.discourseUser)
          throw new InvalidConfig('a user link needs --discourse-user <Discourse username>');
        const account = await discourseAccount(discourseRest(ctx), options.discourseUser);
        const link = await (
          await service(ctx)
        ).linkUser(
          {
            canvasUserId,
            discourseUserId: account.id,
            discourseUsername: account.username,
            method: 'admin',
          },
          ctx.actor,
        );
        print(
          `linked user ${link.canvas_user_id} to @${link.discourse_username} (${link.discourse_user_id}); what waited for it is being sent`,
        );
      },
    );

  links
    .command('remove')
    .description('remove a course or user link (audited): its syncs stop, later events wait')
    .argument('<kind>', KINDS.join(' or '))
    .argument('<canvas-id>', 'the Canvas course or user id')
    .action(async (kindText: string, idText: string) => {
      const kind = kindOf(kindText);
      const links = await service(ctx);
      if (kind === 'course') {
        const removed = await links.unlinkCourse(canvasId(idText, 'the course'), ctx.actor);
        return print(
          `removed the link of course ${removed.course_id} to "${removed.category_name}": nothing of it syncs to Discourse until it is linked again (its events wait as "pending: course not linked")`,
        );
      }
      const removed = await links.unlinkUser(canvasId(idText, 'the user'), ctx.actor);
      print(
        `removed the link of user ${removed.canvas_user_id} to @${removed.discourse_username}: their grades and badges stop syncing to Discourse until they are linked again (their events wait as "pending: user not linked")`,
      );
    });
}
