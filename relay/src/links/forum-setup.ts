import { CdsError } from '@cds/shared';
import { courseGroupName } from '../connectors/discourse/connector.js';
import { isDiscourseRefusal, type DiscourseRest } from '../connectors/discourse/rest.js';

/** A Discourse category as the course link needs it. */
export interface ForumCategory {
  id: number;
  name: string;
}

/** What a course link points at in Discourse. */
export interface CourseForum {
  category: ForumCategory;
  group: { id: number; name: string };
}

interface ListedCategory {
  id?: unknown;
  name?: unknown;
  subcategory_list?: ListedCategory[];
}

/** Discourse's category name limit (Category validates name length <= 50). */
const MAX_CATEGORY_NAME = 50;

/**
 * Makes a course's forum in Discourse through its REST API, for the course link an instructor
 * asks for on the LTI page: a new category and group named from the course, or an existing
 * category an admin allowed (LINK_ALLOWED_CATEGORIES) with the course's group.
 */
export class ForumSetup {
  constructor(
    private readonly rest: DiscourseRest,
    private readonly allowed: readonly number[],
  ) {}

  /** The allowed categories that still exist (https://docs.discourse.org/#tag/Categories/operation/listCategories). */
  async allowedCategories(): Promise<ForumCategory[]> {
    if (this.allowed.length === 0) return [];
    const body = (await this.rest.request('GET', '/categories.json')) as {
      category_list?: { categories?: Array<{ id?: unknown; name?: unknown }> };
    };
    return (body.category_list?.categories ?? []).flatMap((c) =>
      typeof c.id === 'number' && typeof c.name === 'string' && this.allowed.includes(c.id)
        ? [{ id: c.id, name: c.name }]
        : [],
    );
  }

  /** A new category and group for the course; the category readable by the group only. */
  async create(courseId: string, courseName: string): Promise<CourseForum> {
    const group = await this.group(courseId, courseName);
    const name = courseName.trim().slice(0, MAX_CATEGORY_NAME).trim() || `Course ${courseId}`;
    try {
      // https://docs.discourse.org/#tag/Categories/operation/createCategory
      const created = (await this.rest.request('POST', '/categories.json', {
        name,
        color: '0770A3',
        text_color: 'FFFFFF',
        permissions: { [group.name]: 1, staff: 1 },
      })) as { category?: { id?: unknown; name?: unknown } };
      const id = created.category?.id;
      if (typeof id !== 'number')
        throw new CdsError('ERR_TARGET', 'Discourse created the category but did not say its id');
      return { category: { id, name: String(created.category?.name ?? name) }, group };
    } catch (error) {
      if (isDiscourseRefusal(error))
        throw new CdsError(
          'ERR_CONFLICT',
          `Discourse refused the category "${name}": ${error.errors}. Pick an existing category or ask an admin to rename the other one.`,
        );
      throw error;
    }
  }

  /** An existing category an admin allowed, with the course's group. */
  async pick(courseId: string, courseName: string, categoryId: number): Promise<CourseForum> {
    if (!this.allowed.includes(categoryId))
      throw new CdsError(
        'ERR_FORBIDDEN',
        `Discourse category ${categoryId} is not one an admin allowed for courses (LINK_ALLOWED_CATEGORIES)`,
      );
    const category = (await this.allowedCategories()).find((c) => c.id === categoryId);
    if (!category)
      throw new CdsError('ERR_NOT_FOUND', `Discourse has no category ${categoryId} any more`);
    return { category, group: await this.group(courseId, courseName) };
  }

  /**
   * An existing category and group an admin names (`cds links add course`): both must exist.
   * https://docs.discourse.org/#tag/Categories/operation/listCategories (subcategories too) and
   * https://docs.discourse.org/#tag/Groups/operation/getGroup
   */
  async existing(categoryId: number, groupName: string): Promise<CourseForum> {
    const body = (await this.rest.request(
      'GET',
      '/categories.json?include_subcategories=true',
    )) as {
      category_list?: { categories?: ListedCategory[] };
    };
    const all = (body.category_list?.categories ?? []).flatMap((c) => [
      c,
      ...(c.subcategory_list ?? []),
    ]);
    const found = all.find((c) => c.id === categoryId);
    if (!found || typeof found.name !== 'string')
      throw new CdsError(
        'ERR_NOT_FOUND',
        `Discourse has no category ${categoryId} (or the API key's user cannot see it): check the id in the category's URL`,
      );
    const groupId = await this.findGroup(groupName);
    if (groupId === undefined)
      throw new CdsError(
        'ERR_NOT_FOUND',
        `Discourse has no group "${groupName}": create it first (Admin > Groups), or give the name of an existing one`,
      );
    return {
      category: { id: categoryId, name: found.name },
      group: { id: groupId, name: groupName },
    };
  }

  /** The course's group, created once (https://docs.discourse.org/#tag/Groups/operation/createGroup). */
  private async group(courseId: string, courseName: string): Promise<{ id: number; name: string }> {
    const name = courseGroupName(courseId);
    const found = await this.findGroup(name);
    if (found !== undefined) return { id: found, name };
    try {
      const created = (await this.rest.request('POST', '/admin/groups.json', {
        group: { name, full_name: courseName.slice(0, 100) || `Canvas course ${courseId}` },
      })) as { basic_group?: { id?: unknown } };
      if (typeof created.basic_group?.id === 'number') return { id: created.basic_group.id, name };
    } catch (error) {
      // Created meanwhile by another request ("Name has already been taken"): find it below.
      if (!(isDiscourseRefusal(error) && error.status === 422)) throw error;
    }
    const again = await this.findGroup(name);
    if (again === undefined)
      throw new CdsError('ERR_TARGET', `Discourse did not create the group "${name}"`);
    return { id: again, name };
  }

  /** https://docs.discourse.org/#tag/Groups/operation/getGroup */
  private async findGroup(name: string): Promise<number | undefined> {
    try {
      const body = (await this.rest.request('GET', `/groups/${encodeURIComponent(name)}.json`)) as {
        group?: { id?: unknown };
      };
      return typeof body.group?.id === 'number' ? body.group.id : undefined;
    } catch (error) {
      if (isDiscourseRefusal(error) && error.status === 404) return undefined;
      throw error;
    }
  }
}
