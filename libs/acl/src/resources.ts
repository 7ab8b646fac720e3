/**
 * RAM resource names (design §1.3, reference §6). Region and account are always `*` in Aviary: there is
 * one deployment and one account; tenants are separated by instance and by policy.
 */
export const Resources = {
  instance: (instanceId: string) => `acs:mq:*:*:instance/${instanceId}`,
  topic: (instanceId: string, topic: string) => `acs:mq:*:*:topic/${instanceId}/${topic}`,
  groupId: (instanceId: string, groupId: string) => `acs:mq:*:*:groupId/${instanceId}/${groupId}`,
  rule: (instanceId: string, ruleId: string) => `acs:mq:*:*:rule/${instanceId}/${ruleId}`,
  accessKey: (accessKeyId: string) => `acs:ram:*:*:accesskey/${accessKeyId}`,
};

/** RAM action names, one per operation. Device rights are `mq:PUB` / `mq:SUB`. */
export const RamActions = {
  CreateInstance: 'mq:CreateInstance',
  ListInstances: 'mq:ListInstances',
  GetInstance: 'mq:ListInstances',
  UpdateInstance: 'mq:UpdateInstance',
  DeleteInstance: 'mq:DeleteInstance',
  CreateTopic: 'mq:CreateMqttTopic',
  ListTopic: 'mq:ListMqttTopic',
  UpdateTopic: 'mq:UpdateMqttTopic',
  DeleteTopic: 'mq:DeleteMqttTopic',
  CreateGroupId: 'mq:CreateMqttGroupId',
  ListGroupId: 'mq:ListMqttGroupId',
  DeleteGroupId: 'mq:DeleteMqttGroupId',
  CreateAccessKey: 'ram:CreateAccessKey',
  ListAccessKeys: 'ram:ListAccessKeys',
  UpdateAccessKey: 'ram:UpdateAccessKey',
  DeleteAccessKey: 'ram:DeleteAccessKey',
  ApplyToken: 'mq:ApplyToken',
  QueryToken: 'mq:QueryToken',
  RevokeToken: 'mq:RevokeToken',
  RegisterDeviceCredential: 'mq:RegisterDeviceCredential',
  GetDeviceCredential: 'mq:GetDeviceCredential',
  RefreshDeviceCredential: 'mq:RefreshDeviceCredential',
  UnRegisterDeviceCredential: 'mq:UnRegisterDeviceCredential',
  ListDeviceCredentialClientId: 'mq:ListDeviceCredentialClientId',
  QuerySession: 'mq:QuerySessionByClientId',
  BatchQuerySession: 'mq:BatchQuerySessionByClientIds',
  SendMessage: 'mq:SendMessage',
  CloseConnection: 'mq:CloseConnection',
  Publish: 'mq:PUB',
  Subscribe: 'mq:SUB',
} as const;
