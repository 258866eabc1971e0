import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { ConfigReader } from '@backstage/config';
import { AwsClientFactory } from './AwsClientFactory';

jest.setTimeout(30_000);

const SOLO = '111122223333';
const PAGED = '444455556666';
const MAIN = '999988887777';

/**
 * What moto cannot answer: an account with an opt-in Region it has not
 * enabled. EC2 `DescribeRegions` lists such a Region with `optInStatus`
 * `not-opted-in` (`opted-in` once enabled, `opt-in-not-required` for the
 * others): https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RegionInfo.html
 * (shown when the caller asks for all Regions; the plugin skips it either
 * way). Organizations `ListAccounts` pages with `NextToken`:
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
 */
async function awsEndpoint() {
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', chunk => {
      body += chunk;
    });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      if (target.endsWith('.ListAccounts')) {
        const { NextToken } = JSON.parse(body || '{}');
        calls.push(`ListAccounts ${NextToken ?? ''}`.trim());
        res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify(
            NextToken === 'page-2'
              ? {
                  Accounts: [
                    {
                      Id: PAGED,
                      Name: 'paged',
                      Status: 'ACTIVE',
                      State: 'ACTIVE',
                    },
                  ],
                }
              : {
                  Accounts: [
                    {
                      Id: SOLO,
                      Name: 'solo',
                      Status: 'ACTIVE',
                      State: 'ACTIVE',
                    },
                  ],
                  NextToken: 'page-2',
                },
          ),
        );
        return;
      }
      const action = new URLSearchParams(body).get('Action');
      calls.push(String(action));
      res.writeHead(200, { 'Content-Type': 'text/xml' });
      if (action === 'GetCallerIdentity') {
        res.end(
          `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::${MAIN}:user/backstage</Arn><UserId>AIDAEXAMPLE</UserId><Account>${MAIN}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        );
        return;
      }
      res.end(
        `<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><regionInfo>` +
          `<item><regionName>us-east-1</regionName><regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>` +
          `<item><regionName>ap-east-1</regionName><regionEndpoint>ec2.ap-east-1.amazonaws.com</regionEndpoint><optInStatus>not-opted-in</optInStatus></item>` +
          `<item><regionName>me-south-1</regionName><regionEndpoint>ec2.me-south-1.amazonaws.com</regionEndpoint><optInStatus>opted-in</optInStatus></item>` +
          `</regionInfo></DescribeRegionsResponse>`,
      );
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('OrganizationAccounts', () => {
  it('reads every page of accounts and skips an opt-in Region the account has not enabled', async () => {
    const aws = await awsEndpoint();
    try {
      const keys = { accessKeyId: 'x', secretAccessKey: 'x' };
      const factory = AwsClientFactory.fromConfig(
        new ConfigReader({
          aws: {
            mainAccount: keys,
            // Accounts listed under aws.accounts keep their own credentials
            // (static keys here: no role to assume).
            accounts: [
              { accountId: SOLO, ...keys },
              { accountId: PAGED, ...keys },
            ],
          },
          immutableInfra: {
            aws: {
              endpoint: aws.endpoint,
              maxAttempts: 1,
              organization: {
                roleName: 'reader',
                regions: ['us-east-1', 'ap-east-1', 'me-south-1'],
              },
            },
          },
        }),
      );
      const discovery = await factory.organization!.discover();
      expect(discovery.accounts).toEqual([
        {
          id: SOLO,
          name: 'solo',
          status: 'ok',
          regions: ['us-east-1', 'me-south-1'],
        },
        {
          id: PAGED,
          name: 'paged',
          status: 'ok',
          regions: ['us-east-1', 'me-south-1'],
        },
      ]);
      expect(aws.calls.filter(c => c.startsWith('ListAccounts'))).toEqual([
        'ListAccounts',
        'ListAccounts page-2',
      ]);
    } finally {
      aws.close();
    }
  });
});
