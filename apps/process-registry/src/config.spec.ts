import { describeServiceConfig } from '@flowline/service-testing';
import { RegistryConfigShape, SERVICE } from './config';

describeServiceConfig(SERVICE, RegistryConfigShape);
