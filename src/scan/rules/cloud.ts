import { defineRule, help } from './define.js';

/** AWS, Google Cloud and Azure credentials. */
export const cloudRules = [
  defineRule({
    id: 'aws-access-key-id',
    description: 'AWS access key ID',
    keywords: ['akia', 'asia', 'abia', 'acca'],
    regex: /(?<![A-Za-z0-9])((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Za-z0-9])/,
    entropy: 3.0,
    help: help('An AWS access key ID identifies an IAM access key; together with its secret it signs AWS API calls. Deactivate the key in IAM.'),
  }),
  defineRule({
    id: 'aws-secret-access-key',
    description: 'AWS secret access key',
    keywords: ['aws'],
    regex: /aws[\w.-]{0,20}?(?:secret|sk)[\w.-]{0,20}?["']?\s{0,3}(?::=|=>|[:=])\s{0,3}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/i,
    entropy: 4.0,
    help: help('An AWS secret access key signs AWS API calls as its IAM user or role. Deactivate and delete the access key in IAM.'),
  }),
  defineRule({
    id: 'gcp-service-account-key',
    description: 'Google Cloud service account key file',
    keywords: ['private_key_id'],
    regex: /"private_key_id"\s{0,5}:\s{0,5}"([a-f0-9]{40})"/,
    entropy: 3.0,
    help: help('A Google Cloud service account key file (JSON) authenticates as that service account. Delete the key in IAM (Service accounts → Keys).'),
  }),
  defineRule({
    id: 'gcp-api-key',
    description: 'Google Cloud API key',
    keywords: ['aiza'],
    regex: /(?<![A-Za-z0-9_-])(AIza[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])/,
    entropy: 3.5,
    help: help('A Google API key bills and authorises calls to Google APIs. Delete or restrict it in APIs & Services → Credentials.'),
  }),
  defineRule({
    id: 'azure-storage-account-key',
    description: 'Azure storage account key or connection string',
    keywords: ['accountkey'],
    regex: /AccountKey\s{0,3}=\s{0,3}([A-Za-z0-9+/]{86}==)/i,
    entropy: 4.0,
    help: help('An Azure storage account key gives full access to the storage account. Rotate the key in the storage account (Access keys).'),
  }),
  defineRule({
    id: 'azure-shared-access-key',
    description: 'Azure Service Bus / Event Hubs shared access key',
    keywords: ['sharedaccesskey'],
    regex: /SharedAccessKey\s{0,3}=\s{0,3}([A-Za-z0-9+/]{43}=)/i,
    entropy: 4.0,
    help: help('A shared access key signs SAS tokens for a Service Bus or Event Hubs namespace. Regenerate the key on its policy.'),
  }),
  defineRule({
    id: 'azure-ad-client-secret',
    description: 'Microsoft Entra ID (Azure AD) client secret',
    keywords: ['q~'],
    regex: /(?<![A-Za-z0-9_~.-])([A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])/,
    entropy: 3.0,
    help: help('An Entra ID client secret authenticates an application registration. Delete it under App registrations → Certificates & secrets.'),
  }),
];
