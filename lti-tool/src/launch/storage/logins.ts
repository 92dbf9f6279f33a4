// Logins waiting for their launch, kept by the tool between the login initiation and the id_token
// form_post of a launch that uses the platform's storage: the state and nonce the tool sent, the
// platform it sent them to (the cookie's job in ltijs: src/Provider/Provider.js, login route),
// where the storage frame is, and the posted id_token while the launch page asks the storage.
// Each is taken once and lives LOGIN_TTL_MS at most.
import { DataTypes, Op, type Model, type ModelStatic, type Sequelize } from 'sequelize';

export interface PendingLogin {
  state: string;
  nonce: string;
  /** The platform the login was started for (ltijs's state cookie holds the same). */
  issuer: string;
  /** Origin of the platform's OIDC auth endpoint: the storage messages' target origin. */
  platformOrigin: string;
  /** The storage frame's name (`lti_storage_target`). */
  target: string;
  /** The id_token the platform posted, held while the launch page asks the storage. */
  idToken?: string | null;
  createdAt?: Date;
}

export class LoginStore {
  private readonly model: ModelStatic<Model<PendingLogin>>;

  /** Defines the table on ltijs's Sequelize instance, so ltijs-sequelize's `setup()` creates it. */
  constructor(
    sequelize: Sequelize,
    private readonly ttlMs: number,
  ) {
    this.model = sequelize.define<Model<PendingLogin>>(
      'ltiStorageLogin',
      {
        state: { type: DataTypes.STRING(200), primaryKey: true },
        nonce: { type: DataTypes.TEXT, allowNull: false },
        issuer: { type: DataTypes.TEXT, allowNull: false },
        platformOrigin: { type: DataTypes.TEXT, allowNull: false },
        target: { type: DataTypes.TEXT, allowNull: false },
        idToken: { type: DataTypes.TEXT, allowNull: true },
      },
      { tableName: 'lti_storage_logins', indexes: [{ fields: ['createdAt'] }] },
    );
  }

  private cutoff(now: number): Date {
    return new Date(now - this.ttlMs);
  }

  /** Records a login; drops the expired ones on the way. */
  async add(login: PendingLogin, now = Date.now()): Promise<void> {
    await this.model.destroy({ where: { createdAt: { [Op.lt]: this.cutoff(now) } } });
    await this.model.create({ ...login, idToken: null });
  }

  /** The pending, unexpired login with this state, without using it up. */
  async peek(state: string, now = Date.now()): Promise<PendingLogin | undefined> {
    const row = await this.model.findByPk(state);
    const login = row?.get({ plain: true });
    return login && login.createdAt && login.createdAt >= this.cutoff(now) ? login : undefined;
  }

  /** Holds the platform's id_token for the login, once (the first post wins); false if none. */
  async holdIdToken(state: string, idToken: string): Promise<boolean> {
    const [count] = await this.model.update({ idToken }, { where: { state, idToken: null } });
    return count === 1;
  }

  /**
   * Uses the login up: exactly one caller gets it (the row's deletion decides), expired or not;
   * `expired` says whether it was past its time.
   */
  async take(
    state: string,
    now = Date.now(),
  ): Promise<{ login: PendingLogin; expired: boolean } | undefined> {
    const row = await this.model.findByPk(state);
    if (!row) return undefined;
    const deleted = await this.model.destroy({ where: { state } });
    if (deleted !== 1) return undefined;
    const login = row.get({ plain: true });
    return { login, expired: !login.createdAt || login.createdAt < this.cutoff(now) };
  }

  /** Forgets a login (its launch went the cookie's way). */
  async drop(state: string): Promise<void> {
    await this.model.destroy({ where: { state } });
  }
}
