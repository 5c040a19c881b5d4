import { describeServiceConfig } from '@flowline/service-testing';
import { GatewayConfigShape, SERVICE } from './config';

describeServiceConfig(SERVICE, GatewayConfigShape);
