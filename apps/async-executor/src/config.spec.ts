import { describeServiceConfig } from '@flowline/service-testing';
import { ExecutorConfigShape, SERVICE } from './config';

describeServiceConfig(SERVICE, ExecutorConfigShape);
