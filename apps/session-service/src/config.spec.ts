import { describeServiceConfig } from '@flowline/service-testing';
import { SessionConfigShape, SERVICE } from './config';

describeServiceConfig(SERVICE, SessionConfigShape);
