import { App } from 'aws-cdk-lib';
import { loadStageConfig } from '../lib/config';
import { buildPaymentsStage } from '../lib/payments-app';

// `npx cdk synth|deploy -c stage=dev|staging|prod`: the stage is read once, here, and nowhere else.
const app = new App();
buildPaymentsStage(app, loadStageConfig(app.node.tryGetContext('stage')));
