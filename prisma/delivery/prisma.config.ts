// Prisma CLI config for the delivery database (see subgraphPrismaConfig in @shop/prisma-kit).
import { defineConfig } from 'prisma/config';
import { subgraphPrismaConfig } from '@shop/prisma-kit';

export default defineConfig(subgraphPrismaConfig(__dirname, 'delivery'));
