import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { AlertPublisher } from '../domain/ports';
import { alertMessage } from './alert-message';

/** Alerts through SNS: the stable message schema of alert-message.ts, with type and severity as attributes. */
export const createSnsAlerts = (
  client: SNSClient,
  stage: string,
  topics: { readonly critical: string; readonly warning: string },
): AlertPublisher => ({
  async publish(alert) {
    const message = alertMessage(alert, stage, new Date());
    await client.send(
      new PublishCommand({
        TopicArn: topics[alert.severity],
        Subject: `[${stage}] ${alert.severity.toUpperCase()}: ${alert.type}`.slice(0, 100),
        Message: JSON.stringify(message),
        MessageAttributes: {
          type: { DataType: 'String', StringValue: alert.type },
          severity: { DataType: 'String', StringValue: alert.severity },
        },
      }),
    );
  },
});

/** The SNS publisher of a deployed function: the region and credentials of its execution environment. */
export const createDeployedSnsAlerts = (
  stage: string,
  topics: { readonly critical: string; readonly warning: string },
): AlertPublisher => createSnsAlerts(new SNSClient({}), stage, topics);
