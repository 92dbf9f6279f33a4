// The deployment ids each platform registration may launch with. ltijs keeps none and accepts any
// (checked with 5.9.9), but LTI 1.3 core (https://www.imsglobal.org/spec/lti/v1p3/#lti-deployment-id-claim)
// makes the deployment the unit of installation: a launch from one we never registered is refused.
import { DataTypes, type ModelStatic, type Model, type Sequelize } from 'sequelize';

export interface DeploymentKey {
  issuer: string;
  clientId: string;
}

interface DeploymentRow {
  issuer: string;
  clientId: string;
  deploymentId: string;
}

export class DeploymentStore {
  private readonly model: ModelStatic<Model<DeploymentRow>>;

  /** Defines the table on ltijs's Sequelize instance, so ltijs-sequelize's `setup()` creates it. */
  constructor(sequelize: Sequelize) {
    this.model = sequelize.define<Model<DeploymentRow>>(
      'ltiDeployment',
      {
        issuer: { type: DataTypes.TEXT, allowNull: false },
        clientId: { type: DataTypes.TEXT, allowNull: false },
        deploymentId: { type: DataTypes.TEXT, allowNull: false },
      },
      {
        tableName: 'lti_deployments',
        indexes: [{ unique: true, fields: ['issuer', 'clientId', 'deploymentId'] }],
      },
    );
  }

  /** Adds the deployment; true when it was new. */
  async add(key: DeploymentKey, deploymentId: string): Promise<boolean> {
    const [, created] = await this.model.findOrCreate({ where: { ...key, deploymentId } });
    return created;
  }

  async has(key: DeploymentKey, deploymentId: string): Promise<boolean> {
    return (await this.model.count({ where: { ...key, deploymentId } })) > 0;
  }

  async list(key: DeploymentKey): Promise<string[]> {
    const rows = await this.model.findAll({ where: { ...key }, order: [['deploymentId', 'ASC']] });
    return rows.map((row) => String(row.get('deploymentId')));
  }

  /** Removes every deployment of the registration; how many there were. */
  async removeAll(key: DeploymentKey): Promise<number> {
    return this.model.destroy({ where: { ...key } });
  }
}
