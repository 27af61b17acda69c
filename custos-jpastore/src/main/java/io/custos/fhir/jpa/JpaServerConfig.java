package io.custos.fhir.jpa;

import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.batch2.jobs.config.Batch2JobsConfig;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.config.ThreadPoolFactoryConfig;
import ca.uhn.fhir.jpa.batch2.JpaBatch2Config;
import ca.uhn.fhir.jpa.subscription.channel.config.SubscriptionChannelConfig;
import ca.uhn.fhir.jpa.config.HapiJpaConfig;
import ca.uhn.fhir.jpa.config.r4.JpaR4Config;
import ca.uhn.fhir.jpa.config.util.HapiEntityManagerFactoryUtil;
import ca.uhn.fhir.jpa.model.config.PartitionSettings;
import ca.uhn.fhir.jpa.model.dialect.HapiFhirH2Dialect;
import jakarta.persistence.EntityManagerFactory;
import java.util.Properties;
import java.util.UUID;
import javax.sql.DataSource;
import org.apache.commons.dbcp2.BasicDataSource;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.orm.jpa.JpaTransactionManager;
import org.springframework.orm.jpa.LocalContainerEntityManagerFactoryBean;

/**
 * Spring configuration of the HAPI FHIR JPA server (FHIR R4) over a private in-memory H2 database: the stock
 * {@link JpaR4Config} and {@link HapiJpaConfig} beans plus the data source, entity manager and transaction manager
 * that a deployment supplies. Full-text indexing (Hibernate Search) is off: no tool uses {@code _content} or
 * {@code _text}.
 */
@Configuration
@Import({JpaR4Config.class, HapiJpaConfig.class, JpaBatch2Config.class, Batch2JobsConfig.class,
    SubscriptionChannelConfig.class, ThreadPoolFactoryConfig.class})
public class JpaServerConfig {

  /**
   * Storage settings: client-assigned ids of any form (Synthea's UUIDs are kept) and references to resources not
   * (yet) stored are accepted.
   */
  @Bean
  public JpaStorageSettings storageSettings() {
    JpaStorageSettings settings = new JpaStorageSettings();
    settings.setResourceClientIdStrategy(JpaStorageSettings.ClientIdStrategyEnum.ANY);
    // The fixture is loaded in several transactions: a reference to a resource of a later one gets a placeholder
    // that the later PUT fills in. Without it the reference is not indexed and `patient=` searches find nothing.
    settings.setAutoCreatePlaceholderReferenceTargets(true);
    settings.setEnforceReferentialIntegrityOnWrite(false);
    settings.setAllowExternalReferences(true);
    settings.setAdvancedHSearchIndexing(false);
    settings.setHibernateSearchIndexFullText(false);
    // Bulk load of a fixture: skip the per-write bookkeeping a production server keeps.
    settings.setMassIngestionMode(true);
    return settings;
  }

  /** No partitioning: one tenant. */
  @Bean
  public PartitionSettings partitionSettings() {
    return new PartitionSettings();
  }

  /** A private in-memory H2 database that lives as long as the process. */
  @Bean(destroyMethod = "close")
  public BasicDataSource dataSource() {
    BasicDataSource ds = new BasicDataSource();
    ds.setDriverClassName("org.h2.Driver");
    ds.setUrl("jdbc:h2:mem:custos-jpa-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    ds.setUsername("sa");
    ds.setPassword("");
    ds.setMaxTotal(20);
    return ds;
  }

  /** HAPI's persistence unit over {@code dataSource}; the schema is created at start. */
  @Primary
  @Bean
  public LocalContainerEntityManagerFactoryBean entityManagerFactory(ConfigurableListableBeanFactory beans,
      FhirContext fhirContext, JpaStorageSettings settings, DataSource dataSource) {
    LocalContainerEntityManagerFactoryBean factory =
        HapiEntityManagerFactoryUtil.newEntityManagerFactory(beans, fhirContext, settings);
    factory.setPersistenceUnitName("HAPI_PU");
    factory.setDataSource(dataSource);
    Properties props = new Properties();
    props.put("hibernate.dialect", HapiFhirH2Dialect.class.getName());
    props.put("hibernate.hbm2ddl.auto", "update");
    props.put("hibernate.search.enabled", "false");
    props.put("hibernate.jdbc.batch_size", "100");
    props.put("hibernate.order_inserts", "true");
    props.put("hibernate.format_sql", "false");
    props.put("hibernate.show_sql", "false");
    factory.setJpaProperties(props);
    return factory;
  }

  @Primary
  @Bean
  public JpaTransactionManager transactionManager(EntityManagerFactory entityManagerFactory) {
    return new JpaTransactionManager(entityManagerFactory);
  }
}
